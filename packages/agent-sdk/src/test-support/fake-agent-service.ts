/**
 * A fake orchestrator for the SDK's tests (not built into dist): just enough
 * of AgentService (Register, Heartbeat, StreamAgent, Unregister, StreamTask)
 * on a real Unix socket, recording every call.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AgentService, ControlCommand as ControlCommandEnum, MessageType } from "@baaaht/proto/agent/v1";
import type {
  AgentMessage,
  ChatChunk,
  ChatRequestSchema,
  ControlCommand,
  HeartbeatRequest,
  RegisterRequest,
  StreamAgentRequest,
  StreamAgentResponseSchema,
  StreamTaskRequest,
  StreamTaskResponseSchema,
  TaskSchema,
  UnregisterRequest,
} from "@baaaht/proto/agent/v1";
import { listenOnSocket } from "@baaaht/transport";
import type { SocketServer } from "@baaaht/transport";
import { Outbox } from "../outbox.js";

type StreamAgentResponseInit = MessageInitShape<typeof StreamAgentResponseSchema>;

/** A StreamTask call as the fake saw it. */
export interface SeenTaskStream {
  taskId: string;
  authorization: string | null;
  /** The payload case of the first request (undefined when it only named the task). */
  firstPayload: string | undefined;
  /** The requests after the first, in arrival order. */
  reports: StreamTaskRequest["payload"][];
  /** False once the stream ended. */
  open: boolean;
}

/** A call as the fake saw it. */
export interface Seen<T> {
  req: T;
  authorization: string | null;
  /** The error code the fake answered with; undefined when it succeeded. */
  refused?: Code;
}

let nextAgent = 1;

/** A fake AgentService; `start()` listens on `socketPath`, `stop()` closes it, `start()` again restarts it. */
export class FakeAgentService {
  /** The bootstrap token Register accepts. */
  bootstrapToken = "boot-token";
  /** The heartbeat interval Register hands out; 0 leaves it unset. */
  heartbeatIntervalMs = 5_000;
  /** Registered agents: id -> registration token. */
  readonly agents = new Map<string, string>();
  readonly registers: Seen<RegisterRequest>[] = [];
  readonly heartbeats: Seen<HeartbeatRequest>[] = [];
  readonly unregisters: Seen<UnregisterRequest>[] = [];
  /** StreamAgent calls, with their first request. */
  readonly streamOpens: Seen<StreamAgentRequest>[] = [];
  /** Messages agents sent up their streams, in arrival order. */
  readonly received: AgentMessage[] = [];
  /** StreamTask calls, in arrival order. */
  readonly taskStreams: SeenTaskStream[] = [];
  /** When set, StreamTask fails with this code after reading the first request. */
  refuseTaskStreams: Code | undefined;
  private readonly taskCuts = new Map<string, (err: ConnectError) => void>();
  private readonly streams = new Map<string, Outbox<StreamAgentResponseInit>>();
  private server: SocketServer | undefined;

  constructor(readonly socketPath: string) {}

  async start(): Promise<void> {
    const routes = connectNodeAdapter({ routes: (router) => router.service(AgentService, this.impl()) });
    this.server = await listenOnSocket({ socketPath: this.socketPath, handler: routes });
  }

  /** Closes the socket at once, cutting every stream. */
  async stop(): Promise<void> {
    for (const out of this.streams.values()) out.close();
    this.streams.clear();
    await this.server?.close({ graceMs: 0 });
    this.server = undefined;
  }

  /** Forgets every agent (like an orchestrator restarted with a fresh database). */
  forgetAll(): void {
    this.agents.clear();
  }

  /** Whether `agentId` has an open stream. */
  hasStream(agentId: string): boolean {
    return this.streams.has(agentId);
  }

  /** Pushes a chat request down the agent's stream. */
  pushChat(agentId: string, chat: MessageInitShape<typeof ChatRequestSchema>): void {
    this.push(agentId, {
      payload: {
        case: "message",
        value: { type: MessageType.CHAT_REQUEST, sourceId: "orchestrator", payload: { case: "chatRequest", value: chat } },
      },
    });
  }

  /** Pushes a control command down the agent's stream. */
  pushControl(agentId: string, command: ControlCommand, parameters: Record<string, string> = {}): void {
    this.push(agentId, {
      payload: {
        case: "message",
        value: { type: MessageType.CONTROL, payload: { case: "controlMessage", value: { command, parameters } } },
      },
    });
  }

  /** Pushes a CANCEL with the typed target, reason and force fields (no `parameters`). */
  pushCancel(agentId: string, target: { taskId: string } | { messageId: string }, options: { reason?: string; force?: boolean } = {}): void {
    this.push(agentId, {
      payload: {
        case: "message",
        value: {
          type: MessageType.CONTROL,
          payload: {
            case: "controlMessage",
            value: {
              command: ControlCommandEnum.CANCEL,
              target: "taskId" in target ? { case: "taskId", value: target.taskId } : { case: "messageId", value: target.messageId },
              reason: options.reason ?? "",
              force: options.force ?? false,
            },
          },
        },
      },
    });
  }

  /** Pushes a task assignment down the agent's stream. */
  pushTask(agentId: string, task: MessageInitShape<typeof TaskSchema>): void {
    this.push(agentId, {
      payload: {
        case: "message",
        value: { type: MessageType.TASK_REQUEST, payload: { case: "taskAssignment", value: task } },
      },
    });
  }

  /** What was reported up StreamTask about `taskId` (all its streams), in arrival order. */
  taskReports(taskId: string): StreamTaskRequest["payload"][] {
    return this.taskStreams.filter((t) => t.taskId === taskId).flatMap((t) => t.reports);
  }

  /** The final report (complete or errorMsg) of `taskId`, if any. */
  finalReport(taskId: string): StreamTaskRequest["payload"] | undefined {
    return this.taskReports(taskId).find((r) => r.case === "complete" || r.case === "errorMsg");
  }

  /** Ends the open StreamTask of `taskId` with `err`, as the orchestrator does when it refuses a report. */
  cutTaskStream(taskId: string, err: ConnectError): void {
    this.taskCuts.get(taskId)?.(err);
  }

  /** The chat chunks received for `messageId`, in arrival order. */
  chunks(messageId: string): ChatChunk[] {
    return this.received.flatMap((m) =>
      m.payload.case === "chatChunk" && m.payload.value.messageId === messageId ? [m.payload.value] : [],
    );
  }

  /** The final chunk received for `messageId`, if any. */
  finalChunk(messageId: string): ChatChunk | undefined {
    return this.chunks(messageId).find((c) => c.isFinal);
  }

  private push(agentId: string, res: StreamAgentResponseInit): void {
    const out = this.streams.get(agentId);
    if (out === undefined) throw new Error(`no stream for ${agentId}`);
    out.push(res);
  }

  /** Checks the caller presents `agentId`'s registration token; returns the refusal code. */
  private refusal(agentId: string, ctx: HandlerContext): Code | undefined {
    const token = this.agents.get(agentId);
    if (token === undefined) return Code.NotFound;
    return ctx.requestHeader.get("authorization") === `Bearer ${token}` ? undefined : Code.Unauthenticated;
  }

  private impl() {
    const seen = <T>(list: Seen<T>[], req: T, ctx: HandlerContext): Seen<T> => {
      const entry: Seen<T> = { req, authorization: ctx.requestHeader.get("authorization") };
      list.push(entry);
      return entry;
    };
    const refuse = (entry: Seen<unknown>, code: Code | undefined) => {
      if (code === undefined) return;
      entry.refused = code;
      throw new ConnectError(`refused by the fake (${Code[code]})`, code);
    };
    return {
      register: (req: RegisterRequest, ctx: HandlerContext) => {
        const entry = seen(this.registers, req, ctx);
        refuse(entry, entry.authorization === `Bearer ${this.bootstrapToken}` ? undefined : Code.Unauthenticated);
        const agentId = `agent-${nextAgent++}`;
        const registrationToken = `reg-${agentId}-${Math.random().toString(36).slice(2)}`;
        this.agents.set(agentId, registrationToken);
        const interval = this.heartbeatIntervalMs > 0 ? durationFromMs(this.heartbeatIntervalMs) : undefined;
        return { agentId, registrationToken, heartbeatInterval: interval };
      },
      heartbeat: (req: HeartbeatRequest, ctx: HandlerContext) => {
        refuse(seen(this.heartbeats, req, ctx), this.refusal(req.agentId, ctx));
        return {};
      },
      unregister: (req: UnregisterRequest, ctx: HandlerContext) => {
        refuse(seen(this.unregisters, req, ctx), this.refusal(req.agentId, ctx));
        this.agents.delete(req.agentId);
        this.streams.get(req.agentId)?.close();
        return { success: true };
      },
      streamAgent: (requests: AsyncIterable<StreamAgentRequest>, ctx: HandlerContext) =>
        this.streamAgent(requests, ctx, seen),
      streamTask: (requests: AsyncIterable<StreamTaskRequest>, ctx: HandlerContext) => this.streamTask(requests, ctx),
    };
  }

  /** Records an agent's reports; ends with OK after the final one (after one heartbeat response). */
  private async *streamTask(
    requests: AsyncIterable<StreamTaskRequest>,
    ctx: HandlerContext,
  ): AsyncGenerator<MessageInitShape<typeof StreamTaskResponseSchema>> {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done === true) return;
    const authorization = ctx.requestHeader.get("authorization");
    const seen: SeenTaskStream = {
      taskId: first.value.taskId,
      authorization,
      firstPayload: first.value.payload.case,
      reports: [],
      open: true,
    };
    this.taskStreams.push(seen);
    try {
      if (![...this.agents.values()].some((token) => authorization === `Bearer ${token}`)) {
        throw new ConnectError("refused by the fake (Unauthenticated)", Code.Unauthenticated);
      }
      if (this.refuseTaskStreams !== undefined) {
        throw new ConnectError(`refused by the fake (${Code[this.refuseTaskStreams]})`, this.refuseTaskStreams);
      }
      const cut = new Promise<never>((_resolve, reject) => this.taskCuts.set(seen.taskId, reject));
      cut.catch(() => undefined);
      yield { payload: { case: "heartbeat", value: timestampNow() } };
      for (;;) {
        const r = await Promise.race([it.next(), cut]);
        if (r.done === true) return;
        seen.reports.push(r.value.payload);
        if (r.value.payload.case === "complete" || r.value.payload.case === "errorMsg") return;
      }
    } finally {
      seen.open = false;
      this.taskCuts.delete(seen.taskId);
    }
  }

  private async *streamAgent(
    requests: AsyncIterable<StreamAgentRequest>,
    ctx: HandlerContext,
    seen: <T>(list: Seen<T>[], req: T, ctx: HandlerContext) => Seen<T>,
  ): AsyncGenerator<StreamAgentResponseInit> {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done === true) return;
    const agentId = first.value.agentId;
    const entry = seen(this.streamOpens, first.value, ctx);
    const code = this.refusal(agentId, ctx);
    if (code !== undefined) {
      entry.refused = code;
      throw new ConnectError(`refused by the fake (${Code[code]})`, code);
    }
    const out = new Outbox<StreamAgentResponseInit>();
    // Like the orchestrator: a heartbeat down the stream says it is attached.
    out.push({ payload: { case: "heartbeat", value: timestampNow() } });
    this.streams.get(agentId)?.close();
    this.streams.set(agentId, out);
    ctx.signal.addEventListener("abort", () => out.close(), { once: true });
    void (async () => {
      try {
        for (let r = await it.next(); r.done !== true; r = await it.next()) {
          if (r.value.payload.case === "message") this.received.push(r.value.payload.value);
        }
      } catch {
        // the stream was cut
      } finally {
        out.close();
      }
    })();
    try {
      yield* out;
    } finally {
      if (this.streams.get(agentId) === out) this.streams.delete(agentId);
    }
  }
}
