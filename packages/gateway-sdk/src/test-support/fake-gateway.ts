/**
 * A fake GatewayService for tests (not built into dist): sessions in memory,
 * StreamChat that fans every response out to all streams of a session, and a
 * scriptable reaction to each user message. Like the orchestrator, it keeps
 * the id a client chose for its message (assigning one only when the client
 * sent none), fails the stream with ALREADY_EXISTS on a duplicate id, and
 * announces each message with a MESSAGE_SENT event. Its errors carry the
 * orchestrator's ErrorInfo reasons (RPC errors) and `error_reason` /
 * `reason_code` (failures inside the stream), as the real server sends them.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, type ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  GatewayEventType,
  GatewayService,
  GatewaySessionSchema,
  GatewaySessionState,
  StreamChatResponseSchema,
  StreamState,
  type CreateGatewaySessionRequest,
  type GatewaySession,
  type StreamChatRequest,
  type StreamChatResponse,
} from "@baaaht/proto/gateway/v1";
import { listenOnSocket, type SocketServer } from "@baaaht/transport";
import { AsyncQueue } from "../async-queue.js";
import { ErrorReason } from "../error-reason.js";
import { FakeTasks } from "./fake-tasks.js";
import { serverError } from "./server-error.js";

type Payload = MessageInitShape<typeof StreamChatResponseSchema>["payload"];

/** What the fake does with a user message sent up StreamChat. */
export type OnMessage = (fake: FakeGateway, turn: { sessionId: string; messageId: string; content: string }) => void | Promise<void>;

/** The answer to every message: status ACTIVE, chunks "Hel", "lo ", "world" (last final), status COMPLETE. */
export const answerInThreeChunks: OnMessage = (fake, { sessionId, messageId }) => {
  const answerId = `a-${messageId}`;
  fake.broadcast(sessionId, { case: "status", value: { state: StreamState.ACTIVE } });
  ["Hel", "lo ", "world"].forEach((text, i) =>
    fake.broadcast(sessionId, {
      case: "chunk",
      value: { messageId: answerId, replyToMessageId: messageId, sequence: i, text, isDelta: true, isFinal: i === 2 },
    }),
  );
  fake.broadcast(sessionId, { case: "status", value: { state: StreamState.COMPLETE } });
};

/** No agent: status ERROR, then an ERROR event naming the message, as the orchestrator sends when it cannot route it. */
export const noAgent: OnMessage = (fake, { sessionId, messageId }) => {
  const reason = "no chat-capable agent is connected";
  const code = ErrorReason.NO_AGENT;
  fake.broadcast(sessionId, { case: "status", value: { state: StreamState.ERROR, message: reason, errorReason: code } });
  fake.broadcast(sessionId, {
    case: "event",
    value: { type: GatewayEventType.ERROR, data: { message_id: messageId, reason, reason_code: code }, metadata: { messageId } },
  });
};

/** Starts an answer ("partial") and finishes it only when a cancel arrives: final chunk with error, status CANCELLED. */
export const answerUntilCancelled: OnMessage = (fake, { sessionId, messageId }) => {
  const chunk = (sequence: number, text: string, isFinal: boolean, error = "", errorReason = "") =>
    fake.broadcast(sessionId, {
      case: "chunk",
      value: { messageId: `a-${messageId}`, replyToMessageId: messageId, sequence, text, isFinal, error, errorReason },
    });
  chunk(0, "partial", false);
  fake.onCancel = () => {
    fake.onCancel = undefined;
    chunk(1, " late", false);
    chunk(2, "", true, "cancelled", ErrorReason.CANCELLED);
    fake.broadcast(sessionId, { case: "status", value: { state: StreamState.CANCELLED, errorReason: ErrorReason.CANCELLED } });
  };
};

/** Says nothing until a cancel arrives, then sends a late chunk, a final chunk with error and status CANCELLED. */
export const silentUntilCancelled: OnMessage = (fake, turn) => {
  fake.onCancel = () => {
    answerUntilCancelled(fake, turn);
    fake.onCancel?.();
  };
};

/** The fake server and what it saw. */
export interface FakeGateway {
  readonly socketPath: string;
  readonly sessions: Map<string, GatewaySession>;
  /** Every StreamChat request, in arrival order. */
  readonly chatRequests: StreamChatRequest[];
  /** The id of every user message, in arrival order. */
  readonly messageIds: string[];
  readonly createRequests: CreateGatewaySessionRequest[];
  readonly closedSessions: string[];
  /** The task RPCs (AgentService) served on the same socket. */
  readonly tasks: FakeTasks;
  /** The `authorization` header of every call. */
  readonly authorizations: (string | null)[];
  /** How to react to a user message. Defaults to {@link answerInThreeChunks}. */
  onMessage: OnMessage;
  /** Called on a cancel request, if set. */
  onCancel: (() => void) | undefined;
  /** When set, StreamChat fails with this error once it has read the first request. */
  failStream: ConnectError | undefined;
  /** Open StreamChat streams of a session. */
  attached(sessionId: string): number;
  /** Sends a response down every stream of a session. */
  broadcast(sessionId: string, payload: Payload): void;
  /** Ends every stream of a session with OK while the session stays open, as a draining orchestrator does. */
  endStreams(sessionId: string): void;
  /** Resolves once `predicate` holds (polls every 5 ms, fails after 5 s). */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/** Starts a fake GatewayService on a fresh socket in a private /tmp/bt-* directory. */
export async function startFakeGateway(): Promise<FakeGateway> {
  const dir = mkdtempSync("/tmp/bt-");
  const streams = new Map<string, Set<AsyncQueue<StreamChatResponse>>>();
  const listening: { server?: SocketServer } = {};
  const fake: FakeGateway = {
    socketPath: `${dir}/s.sock`,
    sessions: new Map(),
    chatRequests: [],
    messageIds: [],
    createRequests: [],
    closedSessions: [],
    tasks: new FakeTasks(),
    authorizations: [],
    onMessage: answerInThreeChunks,
    onCancel: undefined,
    failStream: undefined,
    attached: (sessionId) => streams.get(sessionId)?.size ?? 0,
    broadcast(sessionId, payload) {
      for (const q of streams.get(sessionId) ?? []) q.push(create(StreamChatResponseSchema, { payload }));
    },
    endStreams(sessionId) {
      for (const q of streams.get(sessionId) ?? []) q.end();
    },
    async waitFor(predicate) {
      const deadline = Date.now() + 5000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error("fake gateway: condition not reached in 5 s");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      for (const set of streams.values()) for (const q of set) q.end();
      fake.tasks.close();
      await listening.server?.close({ graceMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const session = (id: string) => {
    const s = fake.sessions.get(id);
    if (s === undefined) throw serverError(Code.NotFound, ErrorReason.SESSION_NOT_FOUND, `gateway session ${id} not found`);
    return s;
  };

  const routes = (router: ConnectRouter) => {
    fake.tasks.register(router);
    router.service(GatewayService, {
      createGatewaySession(req) {
        fake.createRequests.push(req);
        const id = `gs-${fake.sessions.size + 1}`;
        const s = create(GatewaySessionSchema, { id, state: GatewaySessionState.ACTIVE, metadata: req.metadata, orchestratorSessionId: `os-${id}` });
        fake.sessions.set(id, s);
        return { sessionId: id, session: s };
      },
      getGatewaySession: (req) => ({ session: session(req.sessionId) }),
      listGatewaySessions(req) {
        const all = [...fake.sessions.values()].filter((s) => !req.filter?.state || s.state === req.filter.state);
        const start = Number(req.pageToken || "0");
        const end = start + (req.pageSize || 100);
        return { sessions: all.slice(start, end), totalCount: all.length, nextPageToken: end < all.length ? String(end) : "" };
      },
      closeGatewaySession(req) {
        session(req.sessionId).state = GatewaySessionState.CLOSED;
        fake.closedSessions.push(req.sessionId);
        for (const q of streams.get(req.sessionId) ?? []) q.end();
        return { sessionId: req.sessionId, state: GatewaySessionState.CLOSED };
      },
      healthCheck: () => ({ version: "fake" }),
      async *streamChat(requests, ctx) {
        const iterator = requests[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done) return;
        fake.chatRequests.push(first.value);
        const sessionId = first.value.sessionId;
        session(sessionId);
        if (fake.failStream) throw fake.failStream;
        const out = new AsyncQueue<StreamChatResponse>();
        const set = streams.get(sessionId) ?? new Set();
        streams.set(sessionId, set.add(out));
        ctx.signal.addEventListener("abort", () => out.end());
        void (async () => {
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
            const req = next.value;
            fake.chatRequests.push(req);
            if (req.payload.case === "message") {
              const { id, content } = req.payload.value;
              if (id !== "" && fake.messageIds.includes(id)) {
                out.fail(serverError(Code.AlreadyExists, ErrorReason.ALREADY_EXISTS, `message "${id}" already exists`));
                return;
              }
              const messageId = id || randomUUID();
              fake.messageIds.push(messageId);
              fake.broadcast(sessionId, {
                case: "event",
                value: {
                  id: messageId,
                  type: GatewayEventType.MESSAGE_SENT,
                  data: { message_id: messageId, role: "user", content },
                  metadata: { messageId },
                },
              });
              await fake.onMessage(fake, { sessionId, messageId, content });
            } else if (req.payload.case === "cancel") {
              fake.onCancel?.();
            }
          }
        })().catch(() => undefined);
        try {
          yield* out;
        } finally {
          set.delete(out);
        }
      },
    });
  };

  listening.server = await listenOnSocket({
    socketPath: fake.socketPath,
    handler: connectNodeAdapter({
      routes,
      interceptors: [
        (next) => (req) => {
          fake.authorizations.push(req.header.get("authorization"));
          return next(req);
        },
      ],
    }),
  });
  return fake;
}
