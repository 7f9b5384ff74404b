/**
 * A fake orchestrator for the SDK's tests (not built into dist): just enough
 * of AgentService (Register, Heartbeat, StreamAgent, Unregister) on a real
 * Unix socket, recording every call.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AgentService, MessageType } from "@baaaht/proto/agent/v1";
import type {
  AgentMessage,
  ChatChunk,
  ChatRequestSchema,
  ControlCommand,
  HeartbeatRequest,
  RegisterRequest,
  StreamAgentRequest,
  StreamAgentResponseSchema,
  UnregisterRequest,
} from "@baaaht/proto/agent/v1";
import { listenOnSocket } from "@baaaht/transport";
import type { SocketServer } from "@baaaht/transport";
import { Outbox } from "../outbox.js";

type StreamAgentResponseInit = MessageInitShape<typeof StreamAgentResponseSchema>;

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
    };
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
