import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { StreamAgentResponseSchema, type StreamAgentResponse } from "@baaaht/proto/agent/v1";
import { AsyncQueue } from "../util/async-queue.js";

/** Messages that may wait for a slow agent before its stream is cut. */
const OUTBOUND_BUFFER = 10_000;

/**
 * The orchestrator's end of one agent's StreamAgent stream: what is pushed
 * down to the agent. The handler iterates `outbound`; messages are built by
 * the agent wire ({@link AgentWire}).
 */
export class AgentConnection {
  readonly outbound = new AsyncQueue<StreamAgentResponse>(OUTBOUND_BUFFER);

  constructor(readonly agentId: string) {}

  /** True while the stream is open. */
  get open(): boolean {
    return !this.outbound.ended;
  }

  /** Pushes a response down the stream. */
  push(response: StreamAgentResponse): void {
    this.outbound.push(response);
  }

  /** Pushes a keep-alive. */
  heartbeat(): void {
    this.outbound.push(create(StreamAgentResponseSchema, { payload: { case: "heartbeat", value: timestampNow() } }));
  }

  /** Ends the stream (with an error to fail it, e.g. when replaced by a newer stream). */
  close(error?: unknown): void {
    this.outbound.end(error);
  }
}
