import { expect } from "vitest";

// The interop scenarios, defined once: what to call (proto3 JSON requests, so
// every stack can build them) and what a user must observe. Each stack runs
// the same table through its driver (stack.ts); matrix.test.ts checks the
// observations against the expectations below.

/** Things the harness created for one stack before it runs (with our own client). */
export interface ScenarioContext {
  /** The stack's name, put into texts so every stack's answers are its own. */
  readonly stack: string;
  readonly tokens: { readonly admin: string; readonly agent: string; readonly gateway: string };
  /** An orchestrator session (created, then updated). */
  readonly sessionId: string;
  /** The sequence of its SESSION_CREATED event: the cursor to subscribe from. */
  readonly cursor: string;
  /** The session's event that came right after the cursor (as our own client saw it). */
  readonly nextEvent: { readonly type: string; readonly sequence: string };
  /** An orchestrator session for StreamMessages. */
  readonly chatSessionId: string;
  /** A client-chosen message id already used in `sessionId`, and another session where it is still free. */
  readonly usedMessageId: string;
  readonly otherSessionId: string;
  /** A countdown task (n = 3) the echo agent runs. */
  readonly taskId: string;
  /** A gateway session for StreamChat. */
  readonly gatewaySessionId: string;
  /** A gateway session and the id of a user message sent to it, answered "echo: replay me". */
  readonly replaySessionId: string;
  readonly replayMessageId: string;
  /** The orchestrator session of `replaySessionId`. */
  readonly replayOrchestratorSessionId: string;
  /** The texts of the stored answer to `replayMessageId`, by sequence (the final chunk included). */
  readonly replayChunks: readonly string[];
}

/** One call of a scenario, as every driver receives it. */
export interface PlannedCall {
  readonly id: string;
  readonly service: string;
  readonly method: string;
  readonly kind: "unary" | "server_streaming" | "bidi_streaming";
  /** The bearer token, or none. */
  readonly token?: string;
  /** The request messages in proto3 JSON (one for unary and server streaming). */
  readonly requests: readonly Record<string, unknown>[];
  /** Stop reading (and cancel the call) once a response has this value at this dotted path. */
  readonly until?: { readonly path: string; readonly equals: string | number | boolean };
  /** Stop reading (and cancel the call) after this many responses. */
  readonly take?: number;
}

/** What a stack observed: the status (gRPC code name; OK also when the driver stopped the call as planned) and the responses as proto3 JSON. */
export interface Observed {
  readonly id: string;
  readonly code: string;
  readonly message?: string;
  readonly responses: readonly Record<string, unknown>[];
}

export interface Scenario {
  readonly id: string;
  /** What a user would say this checks. */
  readonly title: string;
  readonly call: (ctx: ScenarioContext) => Omit<PlannedCall, "id">;
  /** Asserts on what the stack observed. */
  readonly expect: (observed: Observed, ctx: ScenarioContext) => void;
}

/** The value at a dotted path of a JSON object (`chunk.isFinal`). */
export function valueAt(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, key) => (typeof o === "object" && o !== null ? (o as Record<string, unknown>)[key] : undefined), obj);
}

const CONTRACT_SERVICES = ["orchestrator.v1.OrchestratorService", "agent.v1.AgentService", "gateway.v1.GatewayService", "control.v1.ControlService"];
const PING_SENT = "1700000000000000000";

function ok(o: Observed): void {
  expect({ code: o.code, message: o.message }).toMatchObject({ code: "OK" });
}

const only = (o: Observed): Record<string, unknown> => {
  ok(o);
  expect(o.responses).toHaveLength(1);
  return o.responses[0] as Record<string, unknown>;
};

/** The texts of the chunks (`path` to the chunk in each response), in order. */
function chunkTexts(o: Observed, path: string): { texts: string[]; sequences: number[]; final: boolean } {
  const chunks = o.responses.map((r) => valueAt(r, path) as Record<string, unknown> | undefined).filter((c) => c !== undefined);
  return {
    texts: chunks.map((c) => String(c.text ?? "")),
    sequences: chunks.map((c) => Number(c.sequence ?? 0)),
    final: chunks.at(-1)?.isFinal === true,
  };
}

function expectEchoStream(o: Observed, path: string, text: string): void {
  ok(o);
  const { texts, sequences, final } = chunkTexts(o, path);
  expect(final).toBe(true);
  expect(texts.join("")).toBe(text);
  expect(sequences).toEqual(sequences.map((_, i) => i));
  expect(texts.length).toBeGreaterThan(1);
}

/** The last chunk the resume scenarios say they have seen. */
const RESUME_AFTER = 1;

/** The chunks after RESUME_AFTER, each once, to the final one: with the chunks before, the whole stored answer. */
function expectResumed(o: Observed, path: string, ctx: ScenarioContext): void {
  ok(o);
  const { texts, sequences, final } = chunkTexts(o, path);
  expect(final).toBe(true);
  expect(sequences).toEqual(ctx.replayChunks.slice(RESUME_AFTER + 1).map((_, i) => RESUME_AFTER + 1 + i));
  expect(texts).toEqual(ctx.replayChunks.slice(RESUME_AFTER + 1));
  expect([...ctx.replayChunks.slice(0, RESUME_AFTER + 1), ...texts].join("")).toBe("echo: replay me");
}

/** The `name` (field 1) of a serialized google.protobuf.FileDescriptorProto given in base64. */
export function descriptorName(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error("truncated descriptor");
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 2) {
      const len = varint();
      if (tag >>> 3 === 1) return bytes.subarray(pos, pos + len).toString("utf8");
      pos += len;
    } else if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wireType}`);
  }
  throw new Error("descriptor has no name");
}

function reflectionList(version: "v1" | "v1alpha"): Scenario {
  return {
    id: `reflection-${version}-list`,
    title: `server reflection ${version} lists every service (bidi, no token)`,
    call: () => ({ service: `grpc.reflection.${version}.ServerReflection`, method: "ServerReflectionInfo", kind: "bidi_streaming", requests: [{ listServices: "" }], take: 1 }),
    expect: (o) => {
      const names = (valueAt(only(o), "listServicesResponse.service") as { name: string }[]).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([...CONTRACT_SERVICES, "grpc.health.v1.Health"]));
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "control-ping",
    title: "ControlService.Ping echoes the timestamp and adds a later server clock (unary)",
    call: (ctx) => ({ service: "control.v1.ControlService", method: "Ping", kind: "unary", token: ctx.tokens.admin, requests: [{ timestamp: PING_SENT }] }),
    expect: (o) => {
      const res = only(o);
      expect(res.pingTimestamp).toBe(PING_SENT);
      // the server's clock in nanoseconds (not ms or s): within a minute of ours
      const skew = BigInt(String(res.pongTimestamp)) - BigInt(Date.now()) * 1_000_000n;
      expect(skew < 0n ? -skew : skew).toBeLessThan(60_000_000_000n);
    },
  },
  {
    id: "control-status",
    title: "ControlService.GetStatus reports a serving node (READY, or BUSY while work of other scenarios runs) and its identity",
    call: (ctx) => ({ service: "control.v1.ControlService", method: "GetStatus", kind: "unary", token: ctx.tokens.admin, requests: [{}] }),
    expect: (o) => {
      const res = only(o);
      expect(["NODE_STATE_READY", "NODE_STATE_BUSY"]).toContain(res.state);
      expect(res.identity).toMatch(/\S/);
    },
  },
  {
    id: "control-no-token",
    title: "no token: UNAUTHENTICATED",
    call: () => ({ service: "control.v1.ControlService", method: "Ping", kind: "unary", requests: [{ timestamp: "1" }] }),
    expect: (o) => expect(o.code).toBe("UNAUTHENTICATED"),
  },
  {
    id: "control-wrong-scope",
    title: "an agent token on an admin RPC: PERMISSION_DENIED",
    call: (ctx) => ({ service: "control.v1.ControlService", method: "Ping", kind: "unary", token: ctx.tokens.agent, requests: [{ timestamp: "1" }] }),
    expect: (o) => expect(o.code).toBe("PERMISSION_DENIED"),
  },
  {
    id: "health-check",
    title: "Health.Check answers SERVING without a token",
    call: () => ({ service: "grpc.health.v1.Health", method: "Check", kind: "unary", requests: [{ service: "control.v1.ControlService" }] }),
    expect: (o) => expect(only(o).status).toBe("SERVING"),
  },
  {
    id: "health-check-unknown",
    title: "Health.Check of an unknown service: NOT_FOUND",
    call: () => ({ service: "grpc.health.v1.Health", method: "Check", kind: "unary", requests: [{ service: "no.such.v1.Service" }] }),
    expect: (o) => expect(o.code).toBe("NOT_FOUND"),
  },
  {
    id: "health-watch",
    title: "Health.Watch streams SERVING first (server streaming)",
    call: () => ({ service: "grpc.health.v1.Health", method: "Watch", kind: "server_streaming", requests: [{ service: "" }], take: 1 }),
    expect: (o) => expect(only(o).status).toBe("SERVING"),
  },
  {
    id: "session-create",
    title: "OrchestratorService.CreateSession (unary)",
    call: (ctx) => ({
      service: "orchestrator.v1.OrchestratorService",
      method: "CreateSession",
      kind: "unary",
      token: ctx.tokens.admin,
      requests: [{ metadata: { name: `interop ${ctx.stack}` } }],
    }),
    expect: (o, ctx) => {
      const res = only(o);
      expect(res.sessionId).toMatch(/\S/);
      expect(valueAt(res, "session.metadata.name")).toBe(`interop ${ctx.stack}`);
    },
  },
  {
    id: "events-cursor",
    title: "OrchestratorService.SubscribeEvents from a cursor replays what came after it (server streaming)",
    call: (ctx) => ({
      service: "orchestrator.v1.OrchestratorService",
      method: "SubscribeEvents",
      kind: "server_streaming",
      token: ctx.tokens.admin,
      requests: [{ filter: { sessionId: ctx.sessionId }, afterSequence: ctx.cursor }],
      take: 1,
    }),
    expect: (o, ctx) => {
      const event = only(o).event as Record<string, unknown>;
      expect({ type: event.type, sequence: String(event.sequence) }).toEqual(ctx.nextEvent);
      expect(event.type).not.toBe("EVENT_TYPE_SESSION_CREATED");
    },
  },
  {
    id: "orchestrator-chat",
    title: "OrchestratorService.StreamMessages: a message answered in chunks by the echo agent (bidi)",
    call: (ctx) => ({
      service: "orchestrator.v1.OrchestratorService",
      method: "StreamMessages",
      kind: "bidi_streaming",
      token: ctx.tokens.admin,
      requests: [{ sessionId: ctx.chatSessionId, message: { role: "MESSAGE_ROLE_USER", content: `hello from ${ctx.stack}` } }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o, ctx) => expectEchoStream(o, "chunk", `echo: hello from ${ctx.stack}`),
  },
  {
    id: "message-own-id",
    title: "OrchestratorService.SendMessage with a client-chosen id already used in another session (ids are per session)",
    call: (ctx) => ({
      service: "orchestrator.v1.OrchestratorService",
      method: "SendMessage",
      kind: "unary",
      token: ctx.tokens.admin,
      requests: [{ sessionId: ctx.otherSessionId, message: { id: ctx.usedMessageId, role: "MESSAGE_ROLE_USER", content: "same id, other session" } }],
    }),
    expect: (o, ctx) => expect(only(o).messageId).toBe(ctx.usedMessageId),
  },
  {
    id: "task-execute",
    title: "AgentService.ExecuteTask queues a task (unary)",
    call: (ctx) => ({
      service: "agent.v1.AgentService",
      method: "ExecuteTask",
      kind: "unary",
      token: ctx.tokens.admin,
      requests: [{ sessionId: ctx.sessionId, type: "TASK_TYPE_CUSTOM", config: { command: "countdown", parameters: { n: "1", interval_ms: "1" } } }],
    }),
    expect: (o) => expect(only(o).taskId).toMatch(/\S/),
  },
  {
    id: "task-stream",
    title: "AgentService.StreamTask: a watcher sees the countdown's output and completion (bidi)",
    call: (ctx) => ({
      service: "agent.v1.AgentService",
      method: "StreamTask",
      kind: "bidi_streaming",
      token: ctx.tokens.admin,
      requests: [{ taskId: ctx.taskId }],
      until: { path: "complete.result.outputText", equals: "done" },
    }),
    expect: (o) => {
      ok(o);
      const outputs = o.responses.map((r) => valueAt(r, "output.text")).filter((t) => t !== undefined);
      expect(outputs.join("")).toBe("3\n2\n1\n");
      expect(valueAt(o.responses.at(-1), "complete.result.outputText")).toBe("done");
    },
  },
  {
    id: "gateway-session-create",
    title: "GatewayService.CreateGatewaySession (unary)",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "CreateGatewaySession",
      kind: "unary",
      token: ctx.tokens.gateway,
      requests: [{ metadata: { name: `interop ${ctx.stack}` } }],
    }),
    expect: (o) => expect(only(o).sessionId).toMatch(/\S/),
  },
  {
    id: "gateway-chat",
    title: "GatewayService.StreamChat: a message answered in chunks by the echo agent (bidi)",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "StreamChat",
      kind: "bidi_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.gatewaySessionId, message: { role: "GATEWAY_MESSAGE_ROLE_USER", content: `hello from ${ctx.stack}` } }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o, ctx) => expectEchoStream(o, "chunk", `echo: hello from ${ctx.stack}`),
  },
  {
    id: "gateway-replay",
    title: "GatewayService.StreamResponses replays a stored answer (server streaming)",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "StreamResponses",
      kind: "server_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.replaySessionId, messageId: ctx.replayMessageId }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o) => expectEchoStream(o, "chunk", "echo: replay me"),
  },
  {
    id: "gateway-resume-responses",
    title: "GatewayService.StreamResponses with after_sequence resumes an answer after the last chunk seen (server streaming)",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "StreamResponses",
      kind: "server_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.replaySessionId, messageId: ctx.replayMessageId, afterSequence: RESUME_AFTER }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o, ctx) => expectResumed(o, "chunk", ctx),
  },
  {
    id: "gateway-resume-chat",
    title: "GatewayService.StreamChat with a resume cursor replays the answer after it, then goes live (bidi)",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "StreamChat",
      kind: "bidi_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.replaySessionId, resume: { messageId: ctx.replayMessageId, afterSequence: RESUME_AFTER } }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o, ctx) => expectResumed(o, "chunk", ctx),
  },
  {
    id: "orchestrator-resume",
    title: "OrchestratorService.StreamMessages with a resume cursor replays the answer after it (bidi)",
    call: (ctx) => ({
      service: "orchestrator.v1.OrchestratorService",
      method: "StreamMessages",
      kind: "bidi_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.replayOrchestratorSessionId, resume: { messageId: ctx.replayMessageId, afterSequence: RESUME_AFTER } }],
      until: { path: "chunk.isFinal", equals: true },
    }),
    expect: (o, ctx) => expectResumed(o, "chunk", ctx),
  },
  {
    id: "gateway-resume-out-of-range",
    title: "GatewayService.StreamResponses with a cursor beyond the answer's last chunk: OUT_OF_RANGE naming after_sequence",
    call: (ctx) => ({
      service: "gateway.v1.GatewayService",
      method: "StreamResponses",
      kind: "server_streaming",
      token: ctx.tokens.gateway,
      requests: [{ sessionId: ctx.replaySessionId, messageId: ctx.replayMessageId, afterSequence: ctx.replayChunks.length + 5 }],
    }),
    expect: (o) => {
      expect(o.code).toBe("OUT_OF_RANGE");
      expect(o.message).toContain("after_sequence");
    },
  },
  reflectionList("v1"),
  reflectionList("v1alpha"),
  {
    id: "reflection-v1-file",
    title: "server reflection v1 returns the file declaring a symbol, with its imports",
    call: () => ({
      service: "grpc.reflection.v1.ServerReflection",
      method: "ServerReflectionInfo",
      kind: "bidi_streaming",
      requests: [{ fileContainingSymbol: "control.v1.ControlService" }],
      take: 1,
    }),
    expect: (o) => {
      const files = valueAt(only(o), "fileDescriptorResponse.fileDescriptorProto") as string[];
      expect(files.map(descriptorName)).toEqual(expect.arrayContaining(["control/v1/control.proto", "google/protobuf/duration.proto"]));
    },
  },
];
