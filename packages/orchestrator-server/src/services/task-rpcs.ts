import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { AgentService, StreamTaskRequest, Task } from "@baaaht/proto/agent/v1";
import { SessionState } from "@baaaht/proto/orchestrator/v1";
import type { Logger } from "pino";
import { principalKey, type Principal } from "../auth/principal.js";
import { sessionCaller, type SessionAuthorizer, type SessionManager } from "../sessions/index.js";
import type { TaskManager } from "../tasks/task-manager.js";
import { taskFilterOf, validateTaskSubmission } from "../tasks/task-input.js";
import { taskStateName } from "../tasks/task-state.js";
import { maxLength, pageSize, requireId } from "../validation/index.js";

/** What the task RPCs are built from. */
export interface TaskRpcDeps {
  /** The task domain. */
  tasks: TaskManager;
  /** Session ownership checks (a gateway acts only on its own sessions). */
  access: SessionAuthorizer;
  /** To refuse tasks for a CLOSED session. */
  sessions: Pick<SessionManager, "get">;
  logger: Logger;
}

type TaskRpcs = Pick<ServiceImpl<typeof AgentService>, "executeTask" | "streamTask" | "cancelTask" | "listTasks" | "getTaskStatus">;

/** The longest cancel reason accepted, in characters. */
const MAX_REASON_LENGTH = 1_024;

function principalOf(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal) throw new ConnectError("missing credentials", Code.Unauthenticated);
  return principal;
}

/**
 * agent.v1.AgentService task RPCs. Scopes: admin acts on every task; a
 * gateway on the tasks of the sessions it created; an agent (with its
 * registration token) on the tasks it runs or is named for: it reports on
 * them through StreamTask, sees them and may cancel them, but submits none.
 */
export function createTaskRpcs({ tasks, access, sessions, logger }: TaskRpcDeps): TaskRpcs {
  /** PERMISSION_DENIED unless the principal may see and act on the task. */
  const authorize = async (principal: Principal, task: Task): Promise<void> => {
    if (principal.scope === "admin") return;
    if (principal.scope === "agent") {
      if (principal.agentId && principal.agentId === task.agentId) return;
      throw new ConnectError(`agent ${principal.agentId ?? "(bootstrap token)"} does not run task ${task.id}`, Code.PermissionDenied);
    }
    if (!task.sessionId) throw new ConnectError(`task ${task.id} belongs to no session of this gateway`, Code.PermissionDenied);
    await access.requireSession(principal, task.sessionId);
  };

  /**
   * The executing agent's side of StreamTask: re-attaches a task held since
   * a restart, then applies reports until the final one is stored. Output
   * and progress are not awaited one by one (they are stored in the next
   * group commit, in order); the first one refused fails the stream.
   */
  const runExecutor = async (agentId: string, taskId: string, first: StreamTaskRequest, rest: AsyncIterator<StreamTaskRequest>) => {
    await tasks.attachExecutor(agentId, taskId);
    let fail: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    for (let req: StreamTaskRequest | undefined = first; req; ) {
      if (req.taskId && req.taskId !== taskId) throw new ConnectError(`task_id: this stream carries task ${taskId}`, Code.InvalidArgument);
      const payload = req.payload;
      if (payload.case === "cancel") {
        await tasks.cancel(taskId, payload.value.reason || `cancelled by its agent ${agentId}`, payload.value.force);
        return;
      }
      if (payload.case === "input") {
        throw new ConnectError("input is sent by a watcher, not by the agent running the task", Code.InvalidArgument);
      }
      if (payload.case === "complete" || payload.case === "errorMsg") {
        await tasks.report(agentId, taskId, payload);
        return;
      }
      if (payload.case !== undefined && payload.case !== "heartbeat") tasks.report(agentId, taskId, payload).catch(fail);
      const next = await Promise.race([rest.next(), failed]);
      req = next.done ? undefined : next.value;
    }
  };

  /** Applies what a watcher sends: cancel and input. */
  const onWatcherRequest = async (taskId: string, req: StreamTaskRequest): Promise<void> => {
    if (req.taskId && req.taskId !== taskId) throw new ConnectError(`task_id: this stream carries task ${taskId}`, Code.InvalidArgument);
    const payload = req.payload;
    switch (payload.case) {
      case undefined:
      case "heartbeat":
        return;
      case "cancel":
        await tasks.cancel(taskId, payload.value.reason || "cancelled by a watcher", payload.value.force);
        return;
      case "input":
        await tasks.sendInput(taskId, payload.value);
        return;
      default:
        throw new ConnectError(`only the agent running task ${taskId} may send ${payload.case}`, Code.PermissionDenied);
    }
  };

  return {
    async executeTask(req, ctx) {
      const principal = principalOf(ctx);
      if (principal.scope === "agent") {
        throw new ConnectError("agents do not submit tasks: a gateway (for its sessions) or admin does", Code.PermissionDenied);
      }
      validateTaskSubmission(req);
      if (principal.scope === "gateway" || req.sessionId) req.sessionId = await access.requireSession(principal, req.sessionId);
      if (req.sessionId && (await sessions.get(req.sessionId)).session.state === SessionState.CLOSED) {
        throw new ConnectError(`session ${req.sessionId} is closed`, Code.FailedPrecondition);
      }
      const submitter = principal.scope === "admin" ? "admin" : `gateway:${principal.gatewayId ?? ""}`;
      const task = await tasks.submit({ ...req, submitter });
      logger.debug({ taskId: task.id, submitter, state: taskStateName(task.state) }, "task submitted");
      return { taskId: task.id, task };
    },

    async *streamTask(requests, ctx) {
      const principal = principalOf(ctx);
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) return;
      const taskId = requireId(first.value.taskId, "task_id");
      const task = await tasks.get(taskId);
      await authorize(principal, task);
      if (principal.scope === "agent" && principal.agentId) {
        await runExecutor(principal.agentId, taskId, first.value, iterator);
        return;
      }
      const watch = await tasks.watch(taskId);
      const stop = () => watch.close();
      ctx.signal.addEventListener("abort", stop, { once: true });
      void (async () => {
        try {
          await onWatcherRequest(taskId, first.value);
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) await onWatcherRequest(taskId, next.value);
        } catch (err) {
          watch.close(err);
        }
      })();
      try {
        yield* watch.messages;
      } finally {
        ctx.signal.removeEventListener("abort", stop);
        watch.close();
      }
    },

    async cancelTask(req, ctx) {
      const principal = principalOf(ctx);
      requireId(req.taskId, "task_id");
      maxLength(req.reason, MAX_REASON_LENGTH, "reason");
      await authorize(principal, await tasks.get(req.taskId));
      const by = principal.scope === "agent" ? `its agent ${principal.agentId ?? ""}` : principal.scope;
      const { task, cancelled } = await tasks.cancel(req.taskId, req.reason || `cancelled by ${by}`, req.force);
      return { taskId: task.id, state: task.state, cancelled };
    },

    async listTasks(req, ctx) {
      const principal = principalOf(ctx);
      const size = pageSize(req.pageSize);
      const filter = taskFilterOf(req.agentId, req.filter);
      if (filter.sessionId !== undefined) filter.sessionId = await access.ids.canonical(filter.sessionId);
      if (principal.scope === "agent") {
        if (!principal.agentId) throw new ConnectError("present the registration_token from Register to list tasks", Code.PermissionDenied);
        if (req.agentId && req.agentId !== principal.agentId) {
          throw new ConnectError(`agent ${principal.agentId} may only list its own tasks`, Code.PermissionDenied);
        }
        filter.agentId = principal.agentId;
      } else if (principal.scope === "gateway") {
        const caller = sessionCaller(principal);
        if (!caller.admin) filter.ownerGateway = caller.gatewayId;
      }
      const page = await tasks.list(filter, { pageSize: size, pageToken: req.pageToken });
      return { tasks: page.items, totalCount: page.totalCount, nextPageToken: page.nextPageToken };
    },

    async getTaskStatus(req, ctx) {
      const principal = principalOf(ctx);
      const task = await tasks.get(requireId(req.taskId, "task_id"));
      await authorize(principal, task);
      return { task };
    },
  };
}
