import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { TaskPriority, TaskState, TaskType, type AgentService, type Task as TaskMessage } from "@baaaht/proto/agent/v1";
import type { GatewayService } from "@baaaht/proto/gateway/v1";
import { DEFAULT_CLIENT_TYPE, DEFAULT_TASKS_SESSION_NAME, SDK_VERSION } from "./defaults.js";
import { wholeNumber } from "./checks.js";
import { GatewayError, toGatewayError } from "./errors.js";
import type { SessionResolver } from "./session-resolver.js";
import { TaskHandle } from "./task-handle.js";
import { toTask, type Task, type TaskPriorityName, type TaskStateName, type TaskTypeName } from "./task-results.js";

/** Options of `Gateway.submitTask()`. */
export interface SubmitTaskOptions {
  /** The task type; agents declare the types they run. Defaults to "custom". */
  type?: TaskTypeName;
  /** The command, or for "custom" tasks the operation name; required. */
  command: string;
  /** Defaults to none. */
  arguments?: string[];
  /** Task-specific parameters. Defaults to none. */
  parameters?: Record<string, string>;
  /** Input given to the task; a string is sent as UTF-8. Defaults to none. */
  inputData?: Uint8Array | string;
  /** Environment variables for the task. Defaults to none. */
  environment?: Record<string, string>;
  /** The task's working directory. Defaults to the agent's choice. */
  workingDirectory?: string;
  /** Scheduling priority (highest first, FIFO within one). Defaults to "normal". */
  priority?: TaskPriorityName;
  /**
   * The gateway session the task belongs to (one of this gateway's; the SDK
   * resolves its orchestrator session). Defaults to the gateway's "tasks"
   * session, created on the first task submitted without one.
   */
  sessionId?: string;
  /** Run on this agent only. Defaults to the orchestrator's choice of a capable, free agent. */
  agentId?: string;
  /** How long the task may run once started, in ms; past it the task ends TIMEOUT. Defaults to no limit. */
  timeoutMs?: number;
  /** How many times a failed run is retried. Defaults to 0. */
  maxRetries?: number;
  /**
   * Retry a run that failed with a retryable error (a lost agent is always
   * retried while retries remain). Defaults to true when `maxRetries` > 0.
   */
  retryOnFailure?: boolean;
}

/** Options of `Gateway.listTasks()`. Unset fields match everything. */
export interface ListTasksOptions {
  state?: TaskStateName;
  type?: TaskTypeName;
  priority?: TaskPriorityName;
  /** Only tasks of this gateway session. */
  sessionId?: string;
  /** Only tasks of this agent. */
  agentId?: string;
  /** Only tasks created at or after this time. */
  createdAfter?: Date;
  /** Only tasks created before this time. */
  createdBefore?: Date;
  /** Tasks fetched per call. Defaults to the orchestrator's default page size. */
  pageSize?: number;
}

const TYPES: Record<TaskTypeName, TaskType> = {
  custom: TaskType.CUSTOM,
  code_execution: TaskType.CODE_EXECUTION,
  file_operation: TaskType.FILE_OPERATION,
  network_request: TaskType.NETWORK_REQUEST,
  data_processing: TaskType.DATA_PROCESSING,
  container_operation: TaskType.CONTAINER_OPERATION,
  tool_execution: TaskType.TOOL_EXECUTION,
};

const PRIORITIES: Record<TaskPriorityName, TaskPriority> = {
  low: TaskPriority.LOW,
  normal: TaskPriority.NORMAL,
  high: TaskPriority.HIGH,
  critical: TaskPriority.CRITICAL,
};

const STATES: Record<TaskStateName, TaskState> = {
  pending: TaskState.PENDING,
  queued: TaskState.QUEUED,
  running: TaskState.RUNNING,
  paused: TaskState.PAUSED,
  completed: TaskState.COMPLETED,
  failed: TaskState.FAILED,
  cancelled: TaskState.CANCELLED,
  timeout: TaskState.TIMEOUT,
};

/** The task calls of a gateway: AgentService with the gateway's token, sessions resolved through GatewayService. */
export class GatewayTasks {
  readonly #agents: Client<typeof AgentService>;
  readonly #gateway: Client<typeof GatewayService>;
  readonly #handles = new Set<TaskHandle>();
  readonly #sessions: SessionResolver;
  #tasksSession: Promise<string> | undefined;

  constructor(agents: Client<typeof AgentService>, gateway: Client<typeof GatewayService>, sessions: SessionResolver) {
    this.#agents = agents;
    this.#gateway = gateway;
    this.#sessions = sessions;
  }

  async submit(options: SubmitTaskOptions): Promise<TaskHandle> {
    if (typeof options.command !== "string" || options.command === "") {
      throw new GatewayError("submitTask: `command` is required", Code.InvalidArgument);
    }
    const type = lookup(TYPES, options.type ?? "custom", "type");
    const priority = lookup(PRIORITIES, options.priority ?? "normal", "priority");
    const maxRetries = wholeNumber(options.maxRetries ?? 0, "maxRetries");
    const timeoutMs = wholeNumber(options.timeoutMs ?? 0, "timeoutMs");
    const input = options.inputData ?? new Uint8Array();
    const sessionId =
      options.sessionId === undefined ? await this.#defaultSession() : await this.#sessions.orchestratorSession(options.sessionId);
    try {
      const res = await this.#agents.executeTask({
        agentId: options.agentId ?? "",
        sessionId,
        type,
        priority,
        config: {
          command: options.command,
          arguments: options.arguments ?? [],
          parameters: options.parameters ?? {},
          environment: options.environment ?? {},
          workingDirectory: options.workingDirectory ?? "",
          inputData: typeof input === "string" ? new TextEncoder().encode(input) : input,
          timeoutNs: BigInt(timeoutMs) * 1_000_000n,
          maxRetries: BigInt(maxRetries),
          retryOnFailure: options.retryOnFailure ?? maxRetries > 0,
        },
      });
      return this.watch(res.taskId || (res.task?.id ?? ""), res.task);
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  watch(taskId: string, task?: TaskMessage): TaskHandle {
    return new TaskHandle(this.#agents, taskId, task && toTask(task), this.#handles);
  }

  async get(taskId: string): Promise<Task> {
    try {
      const res = await this.#agents.getTaskStatus({ taskId });
      if (res.task === undefined) throw new GatewayError(`GetTaskStatus returned no task for ${taskId}`, Code.Internal);
      return toTask(res.task);
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  async *list(options: ListTasksOptions = {}): AsyncIterable<Task> {
    const filter = {
      state: options.state === undefined ? undefined : lookup(STATES, options.state, "state"),
      type: options.type === undefined ? undefined : lookup(TYPES, options.type, "type"),
      priority: options.priority === undefined ? undefined : lookup(PRIORITIES, options.priority, "priority"),
      sessionId: options.sessionId === undefined ? "" : await this.#sessions.orchestratorSession(options.sessionId),
      createdAfter: options.createdAfter && timestampFromDate(options.createdAfter),
      createdBefore: options.createdBefore && timestampFromDate(options.createdBefore),
    };
    let pageToken = "";
    do {
      let res;
      try {
        res = await this.#agents.listTasks({ agentId: options.agentId ?? "", filter, pageSize: options.pageSize ?? 0, pageToken });
      } catch (err) {
        throw toGatewayError(err);
      }
      yield* res.tasks.map(toTask);
      pageToken = res.nextPageToken;
    } while (pageToken !== "");
  }

  /** Stops every watcher this gateway opened. */
  close(): void {
    for (const handle of [...this.#handles]) handle.close();
  }

  /** The orchestrator session of the gateway's "tasks" session, created once. */
  #defaultSession(): Promise<string> {
    this.#tasksSession ??= (async () => {
      try {
        const res = await this.#gateway.createGatewaySession({
          metadata: { name: DEFAULT_TASKS_SESSION_NAME, clientType: DEFAULT_CLIENT_TYPE, clientVersion: SDK_VERSION },
        });
        const id = res.session?.id || res.sessionId;
        const orchestratorSessionId = res.session?.orchestratorSessionId || (await this.#sessions.orchestratorSession(id));
        this.#sessions.remember(id, orchestratorSessionId);
        return orchestratorSessionId;
      } catch (err) {
        throw toGatewayError(err);
      }
    })();
    this.#tasksSession.catch(() => (this.#tasksSession = undefined));
    return this.#tasksSession;
  }
}

function lookup<K extends string, V>(table: Record<K, V>, name: string, what: string): V {
  if (!Object.hasOwn(table, name)) {
    throw new GatewayError(`unknown task ${what} "${name}" (expected ${Object.keys(table).join(", ")})`, Code.InvalidArgument);
  }
  return table[name as K];
}
