import { CancelledError } from "@baaaht/gateway-sdk";
import type { ChatHandler } from "@baaaht/agent-sdk";
import { SANDBOX_AGENT_LABEL } from "@baaaht/agent-sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startEchoAgent, waitFor } from "../support/agent-process.js";
import { adminClient, cleanUp, engineUnavailable, gatewayFor, IMAGE, startAgent, startSandboxOrchestrator, stopAgent } from "./sandbox-world.js";

afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanUp();
});

/** A handler running each message with sh -c in the session's sandbox, streaming the output; it records the sandbox ids it got. */
function shellHandler(seen: string[]): ChatHandler {
  return async function* (msg, ctx) {
    const sandbox = await ctx.sandbox();
    seen.push(sandbox.id);
    for await (const out of sandbox.exec(msg.content)) yield out.text;
  };
}

describe.skipIf(engineUnavailable !== "")("an agent's sandbox, end to end", () => {
  it("runs a handler's command in the session's sandbox, streams it to the gateway, reuses it for the session and it goes with the session", async () => {
    const orch = await startSandboxOrchestrator();
    const seen: string[] = [];
    const options = { name: "sandboxed", sandbox: { image: IMAGE }, onMessage: shellHandler(seen) };
    const first = await startAgent(orch, options);
    const chat = await (await gatewayFor(orch)).openChat({ name: "sandbox" });
    const sessionId = chat.session.orchestratorSessionId;

    const chunks: string[] = [];
    for await (const chunk of chat.send("echo hi")) chunks.push(chunk.text);
    expect(chunks.join("")).toBe("hi\n");

    // The second message of the session finds the same container, with what the first left in it.
    expect(await chat.send("echo kept > /tmp/mark; cat /tmp/mark").text()).toBe("kept\n");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);

    // A restarted agent of the same name finds it again by its label.
    await stopAgent(first);
    await startAgent(orch, options);
    expect(await chat.send("cat /tmp/mark").text()).toBe("kept\n");
    expect(seen[2]).toBe(seen[0]);

    const admin = adminClient(orch);
    const listed = await admin.listContainers({ filter: { sessionId } });
    expect(listed.containers.map((c) => [c.id, c.config?.labels[SANDBOX_AGENT_LABEL]])).toEqual([[seen[0], "sandboxed"]]);

    await chat.close();
    await waitFor(async () => (await admin.listContainers({ filter: { sessionId } })).containers.length === 0, 15_000, "the sandbox removed with the session");
  }, 90_000);

  it("a task of the session runs in the same sandbox as its chat", async () => {
    const orch = await startSandboxOrchestrator();
    const seen: string[] = [];
    await startAgent(orch, {
      name: "chat-and-tasks",
      sandbox: { image: IMAGE },
      onMessage: shellHandler(seen),
      async onTask(task, ctx) {
        const sandbox = await ctx.sandbox();
        seen.push(sandbox.id);
        return (await sandbox.exec(task.command)).stdout;
      },
    });
    const gw = await gatewayFor(orch);
    const chat = await gw.openChat({ name: "tasks too" });
    expect(await chat.send("echo from-chat > /tmp/mark").text()).toBe("");
    const task = await gw.submitTask({ command: "cat /tmp/mark", sessionId: chat.sessionId });
    expect((await task.result()).outputText).toBe("from-chat\n");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
  }, 60_000);

  it("kills the running command when the answer is cancelled (ctx.signal)", async () => {
    const orch = await startSandboxOrchestrator();
    const seen: string[] = [];
    await startAgent(orch, { name: "sleeper", sandbox: { image: IMAGE }, onMessage: shellHandler(seen) });
    const gw = await gatewayFor(orch);
    const chat = await gw.openChat({ name: "cancel" });

    const answer = chat.send("echo $$ > /tmp/pid; echo ready; exec sleep 300");
    const iterator = answer[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.text).toBe("ready\n");
    const containerId = seen[0] as string;
    const alive = async () => (await gw.containers.exec(containerId, 'test -d "/proc/$(cat /tmp/pid)"')).exitCode === 0;
    expect(await alive()).toBe(true);

    answer.cancel();
    await expect(iterator.next()).rejects.toBeInstanceOf(CancelledError);
    await waitFor(async () => !(await alive()), 15_000, "the cancelled command to be killed");
  }, 60_000);

  it("the echo agent runs /sh commands in its sandbox and streams their output", async () => {
    const orch = await startSandboxOrchestrator();
    vi.stubEnv("BAAAHT_ECHO_SANDBOX_IMAGE", IMAGE);
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const chat = await (await gatewayFor(orch)).openChat({ name: "echo sh" });

    const chunks: string[] = [];
    for await (const chunk of chat.send("/sh echo hi; exit 0")) chunks.push(chunk.text);
    expect(chunks.join("")).toBe("hi\n");
    expect(await chat.send("/sh echo oops >&2; exit 4").text()).toBe("oops\n\n[exit code 4]");
    expect(await chat.send("plain words").text()).toBe("echo: plain words");
  }, 60_000);

  it("the echo agent without a sandbox image says how to enable it", async () => {
    const orch = await startSandboxOrchestrator();
    vi.stubEnv("BAAAHT_ECHO_SANDBOX_IMAGE", "");
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const chat = await (await gatewayFor(orch)).openChat({ name: "echo no sh" });
    const text = await chat.send("/sh echo hi").text();
    expect(text).toContain("start the echo agent with --sandbox-image IMAGE");
    expect((await adminClient(orch).listContainers({})).containers).toEqual([]);
  });
});
