import {
  Role,
  TaskState,
  type AgentCard,
  type CancelTaskRequest,
  type GetTaskRequest,
  type ListTasksRequest,
  type ListTasksResponse,
  type Message,
  type SendMessageRequest,
  type StreamResponse,
  type SubscribeToTaskRequest,
  type Task,
} from "@a2a-js/sdk";
import {
  ExtendedAgentCardNotConfiguredError,
  PushNotificationNotSupportedError,
  RequestMalformedError,
  TaskNotCancelableError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import { STATE_HEADERS_KEY, type A2ARequestHandler, type ServerCallContext } from "@a2a-js/sdk/server";
import { GatewayError, NotFoundError, PermissionDeniedError } from "@baaaht/gateway-sdk";
import { A2A_METADATA } from "@baaaht/agent-sdk";
import type { CallerSession } from "./caller-session.js";
import { LAST_EVENT_ID_HEADER } from "./defaults.js";
import { parseTaskRequest, type TaskRequest } from "./task-request.js";
import { orchestratorTaskId, parseTaskId, type TaskRef } from "./task-ids.js";
import { taskFromProto, taskToA2A } from "./task-to-a2a.js";
import { callerTasks } from "./caller-tasks.js";
import { storedTurns, storedTurnTask } from "./stored-turns.js";
import { checkHistoryLength, checkListRequest, limitHistory, listPage } from "./task-list.js";
import { storedTurnEvents } from "./turn-events.js";
import { taskSnapshot, turnTask, turnToA2A, type SentMessage, type TaskIds } from "./turn-to-a2a.js";
import type { AgentCards } from "./agent-cards.js";

/** The header the per-agent endpoints (`/agents/NAME/...`) set to name the agent for clients without tenants (v0.3). */
export const PATH_AGENT_HEADER = "x-baaaht-a2a-agent";

/**
 * The A2A operations over the orchestrator, for every transport the SDK
 * serves (JSON-RPC, HTTP+JSON, v0.3). Nothing is stored here: contexts are
 * gateway sessions, tasks are chat turns and orchestrator tasks, found again
 * from their ids.
 */
export class BridgeRequestHandler implements A2ARequestHandler {
  readonly #cards: AgentCards;
  readonly #sessions: (ctx: ServerCallContext) => Promise<CallerSession>;

  constructor(cards: AgentCards, sessions: (ctx: ServerCallContext) => Promise<CallerSession>) {
    this.#cards = cards;
    this.#sessions = sessions;
  }

  getAgentCard(): Promise<AgentCard> {
    return this.#cards.defaultCard();
  }

  getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    return Promise.reject(new ExtendedAgentCardNotConfiguredError("this agent has no extended card"));
  }

  async sendMessage(params: SendMessageRequest, ctx: ServerCallContext): Promise<Message | Task> {
    const stream = this.sendMessageStream(params, ctx);
    let task: Task | undefined;
    let text = "";
    for await (const event of stream) {
      const p = event.payload;
      if (p?.$case === "task") task = p.value;
      else if (p?.$case === "artifactUpdate" && task) {
        const artifact = p.value.artifact!;
        const existing = task.artifacts.find((a) => a.artifactId === artifact.artifactId);
        if (existing && p.value.append) existing.parts.push(...artifact.parts);
        else task.artifacts = [...task.artifacts.filter((a) => a.artifactId !== artifact.artifactId), artifact];
        if (artifact.artifactId === "answer") text += artifact.parts.map((x) => (x.content?.$case === "text" ? x.content.value : "")).join("");
      } else if (p?.$case === "statusUpdate" && task) task.status = p.value.status;
      if (task && params.configuration?.returnImmediately) {
        void stream.return(undefined);
        return task;
      }
    }
    if (!task) throw new UnsupportedOperationError("no task was started");
    if (text !== "") {
      task.artifacts = task.artifacts.map((a) =>
        a.artifactId === "answer" ? { ...a, parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }] } : a,
      );
    }
    return task;
  }

  async *sendMessageStream(params: SendMessageRequest, ctx: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const message = params.message;
    if (!message || message.parts.length === 0) throw new RequestMalformedError("message with at least one part is required");
    if (!message.messageId) throw new RequestMalformedError("message.messageId is required");
    if (message.role !== Role.ROLE_USER) throw new RequestMalformedError("message.role must be ROLE_USER (a message to an agent comes from its user)");
    if (message.taskId) await this.#refuseContinuation(message.taskId, ctx);
    const agent = await this.#agent(params.tenant, ctx);
    const session = await this.#sessions(ctx);
    const request = parseTaskRequest(message);
    const { contextId, sessionId } = await session.session(message.contextId || undefined, agent);
    const history = [{ ...message, contextId }];
    if (request) {
      yield* this.#runTask(session, request, sessionId, contextId, history);
      return;
    }
    const text = message.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("\n");
    if (text.trim() === "") throw new RequestMalformedError("the message needs a text part, or a data part { taskType, params }");
    const { taskId, turn } = await rethrow(() =>
      session.send(sessionId, text, agent, { [A2A_METADATA.messageId]: message.messageId, [A2A_METADATA.contextId]: contextId }),
    );
    const ids: TaskIds = { taskId, contextId };
    yield { payload: { $case: "task", value: taskSnapshot(ids, TaskState.TASK_STATE_WORKING, { history: history.map((m) => ({ ...m, taskId })) }) } };
    yield* turnToA2A(ids, turn.follow());
  }

  async getTask(params: GetTaskRequest, ctx: ServerCallContext): Promise<Task> {
    checkHistoryLength(params.historyLength);
    const ref = this.#ref(params.id);
    const session = await this.#sessions(ctx);
    const task = await rethrow(async () => {
      if (ref.kind === "task") {
        const task = await session.gateway.getTask(ref.taskId);
        return taskFromProto({ taskId: params.id, contextId: await session.contextOfOrchestratorSession(task.sessionId) }, task);
      }
      const ids = { taskId: params.id, contextId: await session.contextOf(ref.sessionId) };
      const live = session.live(params.id);
      if (live) return turnTask(ids, live.sent, live.events);
      const turn = (await storedTurns(session.gateway, ref.sessionId)).find((t) => t.messageId === ref.messageId);
      if (!turn) throw new TaskNotFoundError(`no task ${params.id}`);
      return storedTurnTask(session.gateway, ids.contextId, turn);
    });
    return limitHistory(task, params.historyLength);
  }

  async cancelTask(params: CancelTaskRequest, ctx: ServerCallContext): Promise<Task> {
    const ref = this.#ref(params.id);
    const session = await this.#sessions(ctx);
    if (ref.kind === "task") {
      await rethrow(() => session.gateway.watchTask(ref.taskId).cancel("cancelled by the A2A client"));
      return this.getTask({ tenant: params.tenant, id: params.id }, ctx);
    }
    let live = session.live(params.id);
    if (!live) {
      const task = await this.getTask({ tenant: params.tenant, id: params.id }, ctx);
      const state = task.status?.state;
      if (state === TaskState.TASK_STATE_CANCELED) return task; // cancelling twice is fine
      if (state !== TaskState.TASK_STATE_WORKING) throw new TaskNotCancelableError(`task ${params.id} is over (${TaskState[state ?? 0]})`);
      // Sent by an earlier bridge process: take it over to cancel it.
      live = await rethrow(() => session.adopt(ref.sessionId, ref.messageId, sentOf(task)));
    }
    live.cancel("cancelled by the A2A client");
    const ids = { taskId: params.id, contextId: await rethrow(() => session.contextOf(ref.sessionId)) };
    return turnTask(ids, live.sent, live.follow());
  }

  async *resubscribe(params: SubscribeToTaskRequest, ctx: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const ref = this.#ref(params.id);
    const after = lastEventId(ctx);
    const current = await this.getTask(params, ctx);
    if (after === undefined && TERMINAL.has(current.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
      throw new UnsupportedOperationError(
        `task ${params.id} is over (${TaskState[current.status!.state]}): GetTask has its result; to replay what a dropped stream missed, send Last-Event-ID`,
      );
    }
    const ids = { taskId: params.id, contextId: current.contextId };
    yield { payload: { $case: "task", value: after === undefined ? current : { ...current, artifacts: [], status: { ...current.status!, message: undefined, state: TaskState.TASK_STATE_WORKING } } } };
    const session = await this.#sessions(ctx);
    if (ref.kind === "task") yield* taskToA2A(ids, session.gateway.watchTask(ref.taskId).events(), after);
    else yield* turnToA2A(ids, storedTurnEvents(session.gateway, ref.sessionId, ref.messageId), after);
  }

  async listTasks(params: ListTasksRequest, ctx: ServerCallContext): Promise<ListTasksResponse> {
    checkListRequest(params);
    const session = await this.#sessions(ctx);
    const tasks = await rethrow(() => callerTasks(session, { contextId: params.contextId, agent: this.#namedAgent(params.tenant, ctx) }));
    return listPage(tasks, params);
  }

  createTaskPushNotificationConfig(): never {
    throw new PushNotificationNotSupportedError("push notifications are not supported");
  }
  getTaskPushNotificationConfig(): never {
    throw new PushNotificationNotSupportedError("push notifications are not supported");
  }
  listTaskPushNotificationConfigs(): never {
    throw new PushNotificationNotSupportedError("push notifications are not supported");
  }
  deleteTaskPushNotificationConfig(): never {
    throw new PushNotificationNotSupportedError("push notifications are not supported");
  }

  async *#runTask(session: CallerSession, request: TaskRequest, sessionId: string, contextId: string, history: Message[]): AsyncGenerator<StreamResponse> {
    const handle = await rethrow(() => session.gateway.submitTask({ ...request, sessionId }));
    const ids = { taskId: orchestratorTaskId(handle.id), contextId };
    yield { payload: { $case: "task", value: taskSnapshot(ids, TaskState.TASK_STATE_SUBMITTED, { history: history.map((m) => ({ ...m, taskId: ids.taskId })) }) } };
    yield* taskToA2A(ids, handle.events());
  }

  /**
   * A message naming a task continues it; this bridge's tasks take no further messages:
   * a task that ended cannot (A2A 1.0 section 3.1.1), and its agents ask no questions
   * mid-task. The conversation goes on with a new message in the same context.
   */
  async #refuseContinuation(taskId: string, ctx: ServerCallContext): Promise<never> {
    const task = await this.getTask({ tenant: "", id: taskId, historyLength: 0 }, ctx);
    const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
    throw new UnsupportedOperationError(
      `task ${taskId} ${TERMINAL.has(state) ? "is over" : "is still working"} (${TaskState[state]}) and takes no further messages: ` +
        `send the message without taskId, with contextId "${task.contextId}", to go on with the conversation`,
    );
  }

  #ref(id: string): TaskRef {
    const ref = parseTaskId(id);
    if (!ref) throw new TaskNotFoundError(`no task ${id}`);
    return ref;
  }

  /** The agent a request names: its tenant, else the per-agent path, else "". */
  #namedAgent(tenant: string | undefined, ctx: ServerCallContext): string {
    const headers = ctx.state.get(STATE_HEADERS_KEY) as Record<string, string | string[] | undefined> | undefined;
    const fromPath = headers?.[PATH_AGENT_HEADER];
    return tenant || (typeof fromPath === "string" ? fromPath : "");
  }

  /** The agent a request is for: the one it names, else the only agent. */
  async #agent(tenant: string | undefined, ctx: ServerCallContext): Promise<string> {
    const name = this.#namedAgent(tenant, ctx) || (await this.#cards.defaultAgentName());
    if (!name) throw new RequestMalformedError("several agents are connected: name one as the tenant");
    if (!(await this.#cards.has(name))) throw new RequestMalformedError(`no agent named "${name}" is connected`);
    return name;
  }
}

/** The states a task never leaves. */
const TERMINAL = new Set([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

/** What the user sent in a chat turn, from its task's history. */
function sentOf(task: Task): SentMessage {
  const user = task.history[0];
  const text = user?.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("") ?? "";
  return { a2aMessageId: user?.messageId ?? "", text, sentAt: task.status?.timestamp ?? new Date().toISOString() };
}

/** The resume cursor a client sent (the `Last-Event-ID` header), as a number. */
function lastEventId(ctx: ServerCallContext): number | undefined {
  const headers = ctx.state.get(STATE_HEADERS_KEY) as Record<string, string | string[] | undefined> | undefined;
  const value = headers?.[LAST_EVENT_ID_HEADER];
  if (typeof value !== "string" || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new RequestMalformedError(`Last-Event-ID must be an event id the stream sent (got "${value}")`);
  return n;
}

/** Orchestrator errors as A2A errors: a task or session the caller cannot see is not found. */
async function rethrow<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof PermissionDeniedError) throw new TaskNotFoundError(err.message);
    if (err instanceof GatewayError) throw new UnsupportedOperationError(`${err.reason || "error"}: ${err.message}`);
    throw err;
  }
}
