import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTckAgent } from "../support/agent-process.js";
import { startBridgeStack, stopBridgeStacks, type BridgeProcess } from "./bridge-process.js";
import { rpc, sseEvents, type WireStreamResult } from "./sse.js";

// The TCK agent (apps/tck-agent) behind the A2A bridge, in front of a real
// orchestrator: the A2A message id reaches the agent, which behaves as the
// A2A TCK's message-id prefixes ask (docs/SUT_REQUIREMENTS.md of a2a-tck).

/** The TCK_STREAMING_TIMEOUT the agent is started with: long-running tasks stay active 2 × this. */
const STREAMING_TIMEOUT_S = 1;
const TENANT = "tck";

let bridge: BridgeProcess;
let token: string;

beforeAll(async () => {
  ({ token, bridge } = await startBridgeStack("tck", (o) => startTckAgent({ socketPath: o.socketPath, stateDir: o.stateDir, streamingTimeoutS: STREAMING_TIMEOUT_S })));
}, 60_000);

afterAll(stopBridgeStacks);

const streamMessage = (messageId: string, text: string) =>
  rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
    tenant: TENANT,
    message: { messageId, role: "ROLE_USER", parts: [{ text }] },
  });

/** The texts of the answer's artifact chunks (the empty `lastChunk` marker left out). */
const chunkTexts = (results: WireStreamResult[]) =>
  results.flatMap((r) => (r.artifactUpdate ? [r.artifactUpdate.artifact.parts[0]?.text ?? ""] : [])).filter((t) => t !== "");

describe("tck-agent behind the bridge (A2A TCK message-id prefixes)", () => {
  it("an ordinary TCK message id (test-message-id-*) is answered at once and COMPLETED", async () => {
    const results: WireStreamResult[] = [];
    for await (const event of sseEvents(await streamMessage(`test-message-id-${crypto.randomUUID()}`, "hello tck"))) results.push(event.result);
    expect(chunkTexts(results)).toEqual(["tck-agent received: hello tck"]);
    const last = results.at(-1)?.statusUpdate;
    expect(last?.status.state).toBe("TASK_STATE_COMPLETED");
    expect(last?.status.message?.parts[0]?.text).toBe("tck-agent received: hello tck");
  });

  it("test-resubscribe-message-id-* keeps the task active for 2 × TCK_STREAMING_TIMEOUT; SubscribeToTask meanwhile follows it to COMPLETED", async () => {
    const sent = Date.now();
    const stream = sseEvents(await streamMessage(`test-resubscribe-message-id-${crypto.randomUUID()}`, "stay a while"));
    const first = await stream.next();
    const task = first.done ? undefined : first.value.result.task;
    expect(task?.status.state).toBe("TASK_STATE_WORKING");

    // The TCK's subscribe test: a second stream on the running task, opened once the first one named it.
    const subscribed = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SubscribeToTask", { tenant: TENANT, id: task!.id });
    const viaSubscribe: WireStreamResult[] = [];
    for await (const event of sseEvents(subscribed)) viaSubscribe.push(event.result);
    const activeMs = Date.now() - sent;

    const viaStream: WireStreamResult[] = [];
    for await (const event of stream) viaStream.push(event.result);
    for (const results of [viaStream, viaSubscribe]) {
      const last = results.at(-1)?.statusUpdate;
      expect(last?.status.state).toBe("TASK_STATE_COMPLETED");
      expect(last?.status.message?.parts[0]?.text).toMatch(/tck-agent received: stay a while$/);
    }
    const chunks = chunkTexts(viaStream);
    expect(chunks.filter((c) => c.startsWith("working (")).length).toBeGreaterThanOrEqual(2);
    expect(chunks.at(-1)).toBe("tck-agent received: stay a while");
    // Active for 2 × TCK_STREAMING_TIMEOUT: a lower bound (the agent's clock starts after the request was sent), which a slow machine only raises.
    expect(activeMs).toBeGreaterThanOrEqual(2 * STREAMING_TIMEOUT_S * 1000);
  });
});
