import { CancelledError, NotFoundError, PermissionDeniedError, type ContainerOutput } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/agent-process.js";
import { runCli } from "../support/orchestrator-process.js";
import { cleanUp, engineUnavailable, gatewayFor, IMAGE, startSandboxOrchestrator } from "./sandbox-world.js";

afterEach(cleanUp);

describe.skipIf(engineUnavailable !== "")("gateway SDK containers, end to end", () => {
  it("runs commands in a container of its own session; another gateway does not see it", async () => {
    const orch = await startSandboxOrchestrator();
    const gw = await gatewayFor(orch);
    const chat = await gw.openChat({ name: "mine" });
    const box = await gw.containers.create({
      sessionId: chat.sessionId,
      image: IMAGE,
      command: ["sh", "-c", "echo booted; exec sleep 300"],
      labels: { purpose: "e2e" },
    });
    expect(box).toMatchObject({ sessionId: chat.session.orchestratorSessionId, state: "running", config: { labels: { purpose: "e2e" } } });
    // A plain JSON value (the SDK's rule for results): enum names, numbers, ISO times; JSON gives it back equal.
    const fetched = await gw.containers.get(box.id);
    expect(JSON.parse(JSON.stringify(fetched))).toEqual(fetched);
    expect(fetched.createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const run = gw.containers.exec(box.id, ["sh", "-c", 'echo "hi $WHO"; echo warn >&2; exit 3'], { env: { WHO: "gw" } });
    const pieces: ContainerOutput[] = [];
    for await (const piece of run) pieces.push(piece);
    expect(await run).toEqual({ exitCode: 3, timedOut: false, stdout: "hi gw\n", stderr: "warn\n" });
    expect(pieces.filter((p) => p.stream === "stderr").map((p) => p.text).join("")).toBe("warn\n");
    expect(await gw.containers.exec(box.id, "cat", { stdin: "piped" })).toMatchObject({ stdout: "piped" });
    expect(await gw.containers.exec(box.id, "sleep 30", { timeoutMs: 300 })).toMatchObject({ timedOut: true });

    const listed = [];
    for await (const c of gw.containers.list({ sessionId: chat.sessionId, state: "running" })) listed.push(JSON.parse(JSON.stringify(c)) as typeof c);
    expect(listed.map((c) => [c.id, c.state])).toEqual([[box.id, "running"]]);

    let logs = "";
    await waitFor(async () => {
      logs = "";
      for await (const piece of gw.containers.logs(box.id)) logs += piece.text;
      return logs.includes("booted");
    }, 10_000, "the container's own output in its logs");
    expect(logs).toBe("booted\n");

    const other = await runCli(["gateway-token", "other", "--socket", orch.socketPath, "--state-dir", orch.stateDir]);
    const stranger = await gatewayFor(orch, other.stdout.trim());
    // Another gateway's containers do not exist for it; its sessions are refused.
    await expect(stranger.containers.exec(box.id, "true")).rejects.toBeInstanceOf(NotFoundError);
    await expect(stranger.containers.get(box.id)).rejects.toBeInstanceOf(NotFoundError);
    const theirs = [];
    for await (const c of stranger.containers.list()) theirs.push(c.id);
    expect(theirs).toEqual([]);
    await expect(stranger.containers.create({ sessionId: chat.sessionId, image: IMAGE })).rejects.toBeInstanceOf(PermissionDeniedError);

    expect(await gw.containers.stop(box.id, { timeoutMs: 1_000 })).toBe("exited");
    await gw.containers.remove(box.id);
    await chat.close();
  }, 90_000);

  it("a signal kills a running exec", async () => {
    const orch = await startSandboxOrchestrator();
    const gw = await gatewayFor(orch);
    const chat = await gw.openChat({ name: "abort" });
    const box = await gw.containers.create({ sessionId: chat.sessionId, image: IMAGE, command: ["sleep", "300"] });
    const abort = new AbortController();
    const run = gw.containers.exec(box.id, "echo $$ > /tmp/pid; echo ready; exec sleep 300", { signal: abort.signal });
    const iterator = run[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.text).toBe("ready\n");
    abort.abort();
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await waitFor(
      async () => (await gw.containers.exec(box.id, 'test -d "/proc/$(cat /tmp/pid)"')).exitCode !== 0,
      15_000,
      "the aborted command to be killed",
    );
    await chat.close();
  }, 60_000);
});
