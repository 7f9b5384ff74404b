import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AgentService,
  AgentType,
  CancelTaskRequestSchema,
  ExecuteTaskRequestSchema,
  GetTaskStatusRequestSchema,
  ListTasksRequestSchema,
  StreamTaskRequestSchema,
  TaskState,
  TaskType,
  type StreamTaskRequest,
  type TaskPriority,
} from "@baaaht/proto/agent/v1";
import { principalKey, type Principal } from "../auth/principal.js";
import { GatewaySessionManager, SessionAuthorizer, SessionManager } from "../sessions/index.js";
import type { TaskManager } from "../tasks/task-manager.js";
import { taskWorld, type TaskWorld } from "../tasks/test-support/task-world.js";
import { AsyncQueue } from "../util/async-queue.js";
import { createTaskRpcs } from "./task-rpcs.js";

const logger = pino({ level: "silent" });

const ctxFor = (principal: Principal | undefined): HandlerContext =>
  createHandlerContext({
    service: AgentService,
    method: AgentService.method.streamTask,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/agent.v1.AgentService/StreamTask",
    contextValues: createContextValues().set(principalKey, principal),
  });

async function failure(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
  return "no error";
}

const requests = (...items: MessageInitShape<typeof StreamTaskRequestSchema>[]) => {
  const queue = new AsyncQueue<StreamTaskRequest>();
  for (const item of items) queue.push(create(StreamTaskRequestSchema, item));
  return queue;
};

async function drain(stream: AsyncIterable<{ payload: { case: string | undefined } }>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of stream) out.push(m.payload.case ?? "?");
  return out;
}

describe("task RPCs", () => {
  let w: TaskWorld;
  let sessions: SessionManager;
  let gatewaySessions: GatewaySessionManager;
  let tasks: TaskManager;
  let rpcs: ReturnType<typeof createTaskRpcs>;
  let s1: string;
  let agentId: string;
  const admin = ctxFor({ scope: "admin" });
  const gw1 = ctxFor({ scope: "gateway", gatewayId: "gw1" });
  const gw2 = ctxFor({ scope: "gateway", gatewayId: "gw2" });
  const agentCtx = () => ctxFor({ scope: "agent", agentId });
  const execute = (ctx: HandlerContext, init: MessageInitShape<typeof ExecuteTaskRequestSchema>) =>
    rpcs.executeTask(create(ExecuteTaskRequestSchema, init), ctx);
  const submitId = async (ctx: HandlerContext, init: MessageInitShape<typeof ExecuteTaskRequestSchema>) =>
    String((await execute(ctx, init)).taskId);

  beforeEach(async () => {
    w = await taskWorld();
    tasks = w.manager;
    sessions = new SessionManager({ store: w.store, events: () => undefined });
    gatewaySessions = new GatewaySessionManager({ store: w.store, sessions });
    rpcs = createTaskRpcs({ tasks, access: new SessionAuthorizer(sessions, gatewaySessions), sessions, logger });
    s1 = (await sessions.create({ ownerGateway: "gw1" })).id;
    agentId = (await w.registry.register({ name: "w", type: AgentType.WORKER, capabilities: { supportedTasks: ["custom"] } })).agent.id;
  });
  afterEach(async () => {
    gatewaySessions.dispose();
    sessions.stop();
    await w.close();
  });

  it("validates ExecuteTask, naming the field", async () => {
    expect(await failure(() => execute(admin, {}))).toBe("InvalidArgument: type is required (e.g. TASK_TYPE_CODE_EXECUTION)");
    expect(await failure(() => execute(admin, { type: TaskType.CUSTOM, config: { timeoutNs: -1n } }))).toBe(
      "InvalidArgument: config.timeout_ns must not be negative",
    );
    expect(await failure(() => execute(admin, { type: TaskType.CUSTOM, config: { maxRetries: -2n } }))).toBe(
      "InvalidArgument: config.max_retries must not be negative",
    );
    expect(await failure(() => execute(admin, { type: TaskType.CUSTOM, priority: 42 as TaskPriority }))).toMatch(/^InvalidArgument: priority/);
    expect(await failure(() => execute(admin, { type: 99 as TaskType }))).toMatch(/^InvalidArgument: type/);
  });

  it("lets admin submit anywhere and a gateway only into its own open sessions; agents submit nothing", async () => {
    expect((await execute(admin, { type: TaskType.CUSTOM })).task?.state).toBe(TaskState.QUEUED);
    expect(await failure(() => execute(gw1, { type: TaskType.CUSTOM }))).toBe("InvalidArgument: session_id is required");
    expect(await failure(() => execute(gw2, { type: TaskType.CUSTOM, sessionId: s1 }))).toMatch(/^PermissionDenied/);
    expect(await failure(() => execute(gw1, { type: TaskType.CUSTOM, sessionId: "nope" }))).toMatch(/^NotFound/);
    expect(await failure(() => execute(agentCtx(), { type: TaskType.CUSTOM, sessionId: s1 }))).toMatch(/^PermissionDenied/);
    expect(await failure(() => execute(gw1, { type: TaskType.CODE_EXECUTION, sessionId: s1, agentId }))).toMatch(
      /^FailedPrecondition/,
    );
    const ok = await execute(gw1, { type: TaskType.CUSTOM, sessionId: s1 });
    expect(ok.task).toMatchObject({ sessionId: s1, state: TaskState.QUEUED });
    await sessions.close(s1, "done");
    expect(await failure(() => execute(gw1, { type: TaskType.CUSTOM, sessionId: s1 }))).toMatch(/^FailedPrecondition/);
  });

  it("scopes GetTaskStatus, CancelTask and ListTasks to the caller", async () => {
    const mine = await submitId(gw1, { type: TaskType.CUSTOM, sessionId: s1 });
    const adminTask = await submitId(admin, { type: TaskType.CUSTOM });
    const get = (ctx: HandlerContext, taskId: string) => rpcs.getTaskStatus(create(GetTaskStatusRequestSchema, { taskId }), ctx);
    const list = (ctx: HandlerContext, init: MessageInitShape<typeof ListTasksRequestSchema> = {}) =>
      rpcs.listTasks(create(ListTasksRequestSchema, init), ctx);
    expect((await get(gw1, mine)).task?.id).toBe(mine);
    expect(await failure(() => get(gw2, mine))).toMatch(/^PermissionDenied/);
    expect(await failure(() => get(gw1, adminTask))).toMatch(/^PermissionDenied/);
    expect(await failure(() => get(agentCtx(), mine))).toMatch(/^PermissionDenied/);
    expect(await failure(() => get(admin, "missing"))).toMatch(/^NotFound/);
    expect(await failure(() => get(admin, ""))).toBe("InvalidArgument: task_id is required");

    expect((await list(admin)).totalCount).toBe(2);
    expect((await list(gw1)).tasks?.map((t) => t.id)).toEqual([mine]);
    expect((await list(gw2)).totalCount).toBe(0);
    expect((await list(agentCtx())).totalCount).toBe(0);
    expect(await failure(() => list(agentCtx(), { agentId: "other" }))).toMatch(/^PermissionDenied/);
    expect(await failure(() => list(admin, { pageToken: "bogus" }))).toMatch(/^InvalidArgument: page_token/);
    expect(await failure(() => list(admin, { pageSize: -1 }))).toBe("InvalidArgument: page_size must not be negative");
    expect((await list(admin, { filter: { state: TaskState.RUNNING } })).totalCount).toBe(0);

    const pinned = await submitId(admin, { type: TaskType.CUSTOM, agentId });
    expect((await list(agentCtx())).tasks?.map((t) => t.id)).toEqual([pinned]);
    const cancel = (ctx: HandlerContext, taskId: string) => rpcs.cancelTask(create(CancelTaskRequestSchema, { taskId }), ctx);
    expect(await failure(() => cancel(gw2, mine))).toMatch(/^PermissionDenied/);
    expect(await cancel(agentCtx(), pinned)).toEqual({ taskId: pinned, state: TaskState.CANCELLED, cancelled: true });
    expect(await cancel(gw1, mine)).toEqual({ taskId: mine, state: TaskState.CANCELLED, cancelled: true });
    expect(await cancel(gw1, mine)).toEqual({ taskId: mine, state: TaskState.CANCELLED, cancelled: false });
  });

  it("StreamTask: the executing agent reports, a watcher gets status first then everything live, both end", async () => {
    const taskId = await submitId(gw1, { type: TaskType.CUSTOM, sessionId: s1 });
    const watcherIn = requests({ taskId });
    const watched = drain(rpcs.streamTask(watcherIn, gw1) as AsyncIterable<never>);
    expect(await failure(() => drain(rpcs.streamTask(requests({ taskId }), agentCtx()) as AsyncIterable<never>))).toMatch(
      /^PermissionDenied/,
    ); // not running it yet

    const agent = w.connect(agentId);
    await w.until(() => agent.assigned().length === 1, "the assignment");
    expect((await tasks.get(taskId)).state).toBe(TaskState.RUNNING);
    const executorIn = requests(
      { taskId },
      { payload: { case: "progress", value: { percent: 50 } } },
      { payload: { case: "output", value: { text: "hi", streamType: "stdout" } } },
      { payload: { case: "complete", value: { taskId, result: { outputText: "done" } } } },
    );
    expect(await drain(rpcs.streamTask(executorIn, agentCtx()) as AsyncIterable<never>)).toEqual([]);
    expect(await watched).toEqual(["status", "status", "progress", "output", "status", "complete"]);
    expect(await tasks.get(taskId)).toMatchObject({ state: TaskState.COMPLETED, result: { outputText: "done" } });

    expect(await failure(() => drain(rpcs.streamTask(requests({ taskId }), agentCtx()) as AsyncIterable<never>))).toMatch(
      /^FailedPrecondition/,
    );
    // A watcher of the ended task gets its status, the reports it stored, then the final message.
    expect(await drain(rpcs.streamTask(requests({ taskId }), gw1) as AsyncIterable<never>)).toEqual(["status", "progress", "output", "complete"]);
    expect(await failure(() => drain(rpcs.streamTask(requests({ taskId }), gw2) as AsyncIterable<never>))).toMatch(
      /^PermissionDenied/,
    );
  });

  it("StreamTask: a watcher may cancel but not report", async () => {
    const taskId = await submitId(gw1, { type: TaskType.CUSTOM, sessionId: s1 });
    expect(
      await failure(() =>
        drain(rpcs.streamTask(requests({ taskId }, { payload: { case: "progress", value: { percent: 1 } } }), gw1) as AsyncIterable<never>),
      ),
    ).toMatch(/^PermissionDenied/);
    const out = await drain(
      rpcs.streamTask(requests({ taskId, payload: { case: "cancel", value: { reason: "enough" } } }), gw1) as AsyncIterable<never>,
    );
    expect(out).toEqual(["status", "status", "error"]);
    expect(await tasks.get(taskId)).toMatchObject({ state: TaskState.CANCELLED, error: { message: "enough" } });
  });
});
