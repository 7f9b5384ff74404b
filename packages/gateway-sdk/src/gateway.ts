import { create } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { AgentService } from "@baaaht/proto/agent/v1";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import {
  GatewayService,
  GatewaySessionSchema,
  type GatewaySession,
  type GatewaySessionState,
  type ResponseChunk,
} from "@baaaht/proto/gateway/v1";
import { createSocketTransport, readToken, type WireProtocol } from "@baaaht/transport";
import { GatewayAgents } from "./agents.js";
import { followAnswer, type FollowAnswerOptions } from "./answer-follower.js";
import { Chat } from "./chat.js";
import { GatewayContainers } from "./containers.js";
import {
  DEFAULT_CLIENT_TYPE,
  DEFAULT_CLOSE_REASON,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_RECONNECT_WINDOW_MS,
  SDK_VERSION,
} from "./defaults.js";
import { toGatewayError, UnauthenticatedError } from "./errors.js";
import { historyPage, type HistoryOptions, type HistoryPage } from "./history.js";
import type { TaskHandle } from "./task-handle.js";
import type { Task } from "./task-results.js";
import { SessionResolver } from "./session-resolver.js";
import { GatewayTasks, type ListTasksOptions, type SubmitTaskOptions } from "./tasks.js";

/** Options of {@link connectGateway}. */
export interface ConnectGatewayOptions {
  /** The orchestrator's socket. Defaults to `$BAAAHT_SOCKET`, else `/tmp/baaaht-grpc.sock`. */
  socketPath?: string;
  /** The state directory the gateway token is read from. Defaults to `resolveStateDir()` of `@baaaht/transport`. */
  stateDir?: string;
  /** The bearer token. Defaults to `$BAAAHT_TOKEN`, else `<stateDir>/gateway.token`. */
  token?: string;
  /** The wire protocol: "connect" (binary protobuf), "grpc" or "grpc-web". Defaults to `DEFAULT_PROTOCOL` of `@baaaht/transport` ("connect"). */
  protocol?: WireProtocol;
  /** The `client_type` of the sessions this gateway opens. Defaults to "gateway-sdk". */
  clientType?: string;
  /** The `client_version` of the sessions this gateway opens. Defaults to this SDK's version. */
  clientVersion?: string;
  /** Interval of the heartbeats each chat sends, in ms; 0 disables them. Defaults to 15 seconds. */
  heartbeatIntervalMs?: number;
  /**
   * How long a chat (or a followed answer) whose stream dropped keeps trying
   * to attach again, resuming its answer in progress from its cursor, in ms;
   * 0 never tries (the chat ends with the error). Defaults to 60 seconds.
   */
  reconnectWindowMs?: number;
  /**
   * Check at connect time (GatewayService.HealthCheck) that the orchestrator
   * answers and accepts the token, so that `connectGateway()` itself throws
   * `OrchestratorUnavailableError` / `UnauthenticatedError`. Defaults to true.
   */
  verify?: boolean;
}

/** Options of `Gateway.openChat()`. */
export interface OpenChatOptions {
  /** The session's name. Defaults to "". */
  name?: string;
  /** The end user the session serves. Defaults to "". */
  userId?: string;
  /** Labels, matched by `listSessions()` filters. Defaults to none. */
  labels?: Record<string, string>;
  /** A description of the session. Defaults to "". */
  description?: string;
  /**
   * The agent to answer this chat's messages, by name or id (see
   * `gw.agents.list()`); `send()` may name another per message. Defaults to
   * none: the orchestrator routes each message (the session's agent, else the
   * least-loaded chat agent).
   */
  agent?: string;
}

/** Options of `Gateway.resumeChat()`. */
export interface ResumeChatOptions {
  /** The agent to answer this chat's messages, by name or id, as in `openChat()`. Defaults to none. */
  agent?: string;
}

/** Options of `Gateway.listSessions()`. */
export interface ListSessionsOptions {
  /** Only sessions in this state. Defaults to any. */
  state?: GatewaySessionState;
  /** Only sessions of this user. Defaults to any. */
  userId?: string;
  /** Only sessions carrying all these labels. Defaults to none. */
  labels?: Record<string, string>;
  /** Sessions fetched per call. Defaults to the orchestrator's default page size. */
  pageSize?: number;
}

/**
 * Connects to the orchestrator as a gateway. The connection itself opens
 * lazily; unless `verify` is false, a health check is made first. Throws
 * `UnauthenticatedError` when no token can be read, and (with `verify`)
 * `OrchestratorUnavailableError` when nothing answers on the socket.
 */
export async function connectGateway(options: ConnectGatewayOptions = {}): Promise<Gateway> {
  let token = options.token;
  if (token === undefined) {
    try {
      token = readToken("gateway", { stateDir: options.stateDir });
    } catch (err) {
      throw new UnauthenticatedError(err instanceof Error ? err.message : String(err), Code.Unauthenticated, { cause: err });
    }
  }
  const socket = createSocketTransport({ socketPath: options.socketPath, token, protocol: options.protocol });
  const gateway = new Gateway(
    createClient(GatewayService, socket.transport),
    socket.socketPath,
    () => socket.close(),
    options,
    createClient(AgentService, socket.transport),
    createClient(OrchestratorService, socket.transport),
  );
  if (options.verify ?? true) {
    try {
      await gateway.client.healthCheck({});
    } catch (err) {
      const mapped = toGatewayError(err);
      if (mapped.code !== Code.Unimplemented) {
        await gateway.close();
        throw mapped;
      }
    }
  }
  return gateway;
}

/** A connection to the orchestrator's GatewayService. Get one from {@link connectGateway}. */
export class Gateway {
  /** The generated GatewayService client, for the calls this class does not wrap (authenticated, same connection). */
  readonly client: Client<typeof GatewayService>;
  /** The socket this gateway dials. */
  readonly socketPath: string;
  /**
   * The containers of this gateway's sessions: create, get, list, stop,
   * remove, exec (streamed output, awaitable exit) and logs.
   */
  readonly containers: GatewayContainers;
  /** The orchestrator's agents: `gw.agents.list()`. */
  readonly agents: GatewayAgents;
  readonly #closeTransport: () => void;
  readonly #options: ConnectGatewayOptions;
  readonly #chats = new Set<Chat>();
  readonly #tasks: GatewayTasks;

  /** @internal Use {@link connectGateway}. */
  constructor(
    client: Client<typeof GatewayService>,
    socketPath: string,
    closeTransport: () => void,
    options: ConnectGatewayOptions,
    agentClient: Client<typeof AgentService>,
    orchestratorClient: Client<typeof OrchestratorService>,
  ) {
    const sessions = new SessionResolver(client);
    this.#tasks = new GatewayTasks(agentClient, client, sessions);
    this.containers = new GatewayContainers(orchestratorClient, sessions);
    this.agents = new GatewayAgents(client);
    this.client = client;
    this.socketPath = socketPath;
    this.#closeTransport = closeTransport;
    this.#options = options;
  }

  /**
   * Creates a gateway session (with streaming enabled) and attaches a chat
   * to it. The session stays open until `chat.close()` (or the
   * orchestrator's timeouts): `chat.detach()` and `gateway.close()` leave it.
   */
  async openChat(options: OpenChatOptions = {}): Promise<Chat> {
    try {
      const res = await this.client.createGatewaySession({
        metadata: {
          name: options.name ?? "",
          description: options.description ?? "",
          userId: options.userId ?? "",
          labels: options.labels ?? {},
          clientType: this.#options.clientType ?? DEFAULT_CLIENT_TYPE,
          clientVersion: this.#options.clientVersion ?? SDK_VERSION,
        },
        config: { enableStreaming: true, streamConfig: { enableDelta: true } },
      });
      const session = res.session ?? create(GatewaySessionSchema);
      session.id ||= res.sessionId;
      return this.#attach(session, options.agent);
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /**
   * Attaches a chat to an existing session, by its gateway session id or its
   * orchestrator session id. Throws `NotFoundError` when there is no such
   * session, `PermissionDeniedError` when it belongs to another gateway.
   */
  async resumeChat(sessionId: string, options: ResumeChatOptions = {}): Promise<Chat> {
    const session = await this.getSession(sessionId);
    session.id ||= sessionId;
    return this.#attach(session, options.agent);
  }

  /**
   * Follows an answer of one of this gateway's sessions from a cursor (see
   * `AnswerCursor`), read-only: its chunks after the cursor, replayed
   * from the store and then live, to its final chunk; it resumes by itself
   * after a dropped connection or an orchestrator restart. Throws like
   * `Answer` iteration (`AnswerFailedError`, `CancelledError`, ...), and
   * `NotFoundError` when the session has no answer to `messageId`.
   * Stopping (break, `signal`) never cancels the answer.
   */
  followAnswer(options: FollowAnswerOptions): AsyncIterable<ResponseChunk> {
    return followAnswer(this.client, options, this.#options.reconnectWindowMs ?? DEFAULT_RECONNECT_WINDOW_MS);
  }

  /**
   * One page of a session's conversation (by either of its ids), latest page first, each page
   * oldest first; pass `nextPageToken` for the page before. As `chat.history()`, without a chat.
   */
  history(sessionId: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    return historyPage(this.client, sessionId, options);
  }

  /** Returns one gateway session, by either of its ids. Throws `NotFoundError` when there is none. */
  async getSession(sessionId: string): Promise<GatewaySession> {
    try {
      const res = await this.client.getGatewaySession({ sessionId });
      if (res.session === undefined) throw new Error(`GetGatewaySession returned no session for ${sessionId}`);
      return res.session;
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /**
   * The gateway sessions this gateway may see (its own; all with an admin
   * token) that match the options, oldest first, as an async iterable that
   * fetches page after page as it is iterated.
   */
  async *listSessions(options: ListSessionsOptions = {}): AsyncIterable<GatewaySession> {
    const filter = { state: options.state, userId: options.userId ?? "", labels: options.labels ?? {} };
    let pageToken = "";
    do {
      let res;
      try {
        res = await this.client.listGatewaySessions({ filter, pageSize: options.pageSize ?? 0, pageToken });
      } catch (err) {
        throw toGatewayError(err);
      }
      yield* res.sessions;
      pageToken = res.nextPageToken;
    } while (pageToken !== "");
  }

  /**
   * Closes a gateway session (and its orchestrator session) by either id; its
   * chats end. `reason` defaults to "closed by the client". Idempotent.
   */
  async closeSession(sessionId: string, reason: string = DEFAULT_CLOSE_REASON): Promise<void> {
    try {
      await this.client.closeGatewaySession({ sessionId, reason });
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /**
   * Submits a task (ExecuteTask) and returns its handle: iterate
   * `handle.events()`, await `handle.result()`, or `handle.cancel()`. The
   * task belongs to `options.sessionId` (a gateway session of this gateway)
   * or, without one, to a gateway session named "tasks" that the gateway
   * creates once, on its first such task. Throws `NotFoundError` (agent or
   * session), `GatewayError` with FAILED_PRECONDITION (the named agent cannot
   * run the type) or RESOURCE_EXHAUSTED (queue full), INVALID_ARGUMENT for bad options.
   */
  submitTask(options: SubmitTaskOptions): Promise<TaskHandle> {
    return this.#tasks.submit(options);
  }

  /** A handle on an existing task, to watch, await or cancel it (nothing is called until then). */
  watchTask(taskId: string): TaskHandle {
    return this.#tasks.watch(taskId);
  }

  /** Returns one task with its state, progress, result and error. Throws `NotFoundError` when there is none. */
  getTask(taskId: string): Promise<Task> {
    return this.#tasks.get(taskId);
  }

  /**
   * The tasks this gateway may see (those of its sessions; all with an admin
   * token) that match the options, oldest first, as an async iterable that
   * fetches page after page.
   */
  listTasks(options: ListTasksOptions = {}): AsyncIterable<Task> {
    return this.#tasks.list(options);
  }

  /**
   * Detaches every chat this gateway opened (their sessions stay open), stops
   * watching tasks (the tasks go on), then closes the connection.
   */
  async close(): Promise<void> {
    this.#tasks.close();
    await Promise.all([...this.#chats].map((chat) => chat.detach()));
    this.#closeTransport();
  }

  #attach(session: GatewaySession, agent?: string): Chat {
    const chat = new Chat(this.client, session, {
      agent,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      reconnectWindowMs: this.#options.reconnectWindowMs ?? DEFAULT_RECONNECT_WINDOW_MS,
      onDetached: (c) => this.#chats.delete(c),
    });
    this.#chats.add(chat);
    return chat;
  }
}
