import { a2aFor } from "./a2a-client.js";
/**
 * Test kit for agent authors: run a chat or task handler without an
 * orchestrator. Import from "@baaaht/agent-sdk/testing".
 */
import { abortError, CANCELLED } from "./abort-reasons.js";
import { bindSandbox } from "./bound-sandbox.js";
import { runChat } from "./chat-runner.js";
import type { ChatContext, ChatHandler, ChatMessage } from "./chat-types.js";
import { silentLogger, toLogger, withFields } from "./logger.js";
import type { LoggerLike } from "./logger.js";
import type { AgentOptions } from "./options.js";
import { resolveTaskTypes } from "./registration.js";
import { SandboxNotConfiguredError } from "./sandbox-errors.js";
import type { Sandbox } from "./sandbox-types.js";
import { cancelledAbort } from "./task-errors.js";
import { runTaskHandler } from "./task-runner.js";
import type { Task, TaskFailure, TaskHandler, TaskResultData } from "./task-types.js";

export { fakeSandbox } from "./testing-sandbox.js";
export type { FakeExec, FakeExecCall, FakeExecReply, FakeSandbox, FakeSandboxOptions } from "./testing-sandbox.js";

/** The chat message {@link runHandler} hands to the handler. */
export interface RunHandlerInput {
  /** The user message's text. */
  content: string;
  /** The conversation before it, oldest first; a missing timestamp becomes the Unix epoch. Defaults to `[]`. */
  history?: { role: string; content: string; timestamp?: Date }[];
  /** Defaults to "test-session". */
  sessionId?: string;
  /** Defaults to "test-message". */
  messageId?: string;
  /** Defaults to `{}`. */
  metadata?: Record<string, string>;
  /** Aborting it cancels the answer like the orchestrator's CANCEL would (error "cancelled"). Defaults to none. */
  signal?: AbortSignal;
  /** Called with each chunk as it is produced (e.g. to abort after the first). Defaults to none. */
  onChunk?: (text: string, index: number) => void;
  /** The handler's `ctx.logger`. Defaults to a logger that drops everything. */
  logger?: LoggerLike;
  /** The handler's `ctx.agentId`. Defaults to "test-agent". */
  agentId?: string;
  /**
   * What `ctx.sandbox()` resolves with (its calls bound to `ctx.signal`),
   * e.g. a {@link fakeSandbox}. Defaults to none: `ctx.sandbox()` rejects
   * with `SandboxNotConfiguredError`.
   */
  sandbox?: Sandbox;
}

/** What the handler answered. */
export interface RunHandlerResult {
  /** The non-empty pieces, in order: what the orchestrator would receive before the final chunk. */
  chunks: string[];
  /** The chunks joined: the full answer. */
  text: string;
  /** The final chunk's error ("cancelled" when `signal` aborted, else the thrown error's message); absent on success. */
  error?: string;
}

/**
 * Runs a chat handler (or the `onMessage` of agent options) exactly as an
 * agent would, and collects its answer.
 *
 * @throws TypeError when given agent options without `onMessage`.
 */
export async function runHandler(
  agent: ChatHandler | Pick<AgentOptions, "onMessage">,
  input: RunHandlerInput,
): Promise<RunHandlerResult> {
  const handler = typeof agent === "function" ? agent : agent.onMessage;
  if (handler === undefined) throw new TypeError("runHandler: the agent options have no onMessage");
  const msg: ChatMessage = {
    sessionId: input.sessionId ?? "test-session",
    messageId: input.messageId ?? "test-message",
    content: input.content,
    history: (input.history ?? []).map((h) => ({ ...h, timestamp: h.timestamp ?? new Date(0) })),
    metadata: { ...input.metadata },
  };
  const controller = new AbortController();
  const onAbort = () => controller.abort(abortError(CANCELLED));
  if (input.signal?.aborted) onAbort();
  input.signal?.addEventListener("abort", onAbort, { once: true });
  const ctx: ChatContext = {
    signal: controller.signal,
    sessionId: msg.sessionId,
    history: msg.history,
    logger: withFields(toLogger(input.logger ?? silentLogger), { sessionId: msg.sessionId, messageId: msg.messageId }),
    agentId: input.agentId ?? "test-agent",
    sandbox: testSandbox(input.sandbox, controller.signal),
    a2a: a2aFor(controller.signal),
  };
  const chunks: string[] = [];
  let error: string | undefined;
  try {
    await runChat(handler, msg, ctx, {
      chunk: (text) => {
        chunks.push(text);
        input.onChunk?.(text, chunks.length - 1);
      },
      final: (e) => (error = e),
    });
  } finally {
    input.signal?.removeEventListener("abort", onAbort);
  }
  const result: RunHandlerResult = { chunks, text: chunks.join("") };
  if (error !== undefined) result.error = error;
  return result;
}

/** The task {@link runTask} hands to the handler: any field left out takes a default. */
export type RunTaskInput = Partial<Task>;

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /** Aborting it cancels the task like the orchestrator's CANCEL would (error code "CANCELLED"). Defaults to none. */
  signal?: AbortSignal;
  /** Called with each progress report as it is made (e.g. to abort after the first). Defaults to none. */
  onProgress?: (progress: TaskProgressEntry, index: number) => void;
  /** Called with each piece of output as it is made. Defaults to none. */
  onOutput?: (output: TaskOutputEntry, index: number) => void;
  /** The handler's `ctx.logger`. Defaults to a logger that drops everything. */
  logger?: LoggerLike;
  /** The handler's `ctx.agentId`. Defaults to "test-agent". */
  agentId?: string;
  /** What `ctx.sandbox()` resolves with, as for {@link runHandler}. Defaults to none. */
  sandbox?: Sandbox;
}

/** One progress report. */
export interface TaskProgressEntry {
  /** 0..100 (clamped). */
  percent: number;
  /** "" when none was given. */
  message: string;
}

/** One piece of output: `text` for a string, `data` for bytes. */
export interface TaskOutputEntry {
  stream: string;
  text?: string;
  data?: Uint8Array;
}

/** What a task run reported. */
export interface RunTaskResult {
  /** The result, when the task completed. */
  result?: TaskResultData;
  /** The failure (code, message, retryable), when it failed, was refused or cancelled. */
  error?: TaskFailure;
  progress: TaskProgressEntry[];
  output: TaskOutputEntry[];
}

/**
 * Runs a task handler (or the `onTask` of agent options) exactly as an agent
 * would, and collects what it reports. Defaults of the task: id "test-task",
 * type "custom", session "test-session", priority "normal", everything else
 * empty. With agent options, a task whose type is not in `taskTypes` is
 * refused ("UNSUPPORTED_TASK_TYPE", retryable). A `timeoutMs` > 0 aborts the
 * signal after that long, like the orchestrator's timeout ("cancelled: timeout").
 *
 * @throws TypeError when given agent options without `onTask` (or with invalid `taskTypes`).
 */
export async function runTask(
  agent: TaskHandler | Pick<AgentOptions, "onTask" | "taskTypes">,
  input: RunTaskInput = {},
  options: RunTaskOptions = {},
): Promise<RunTaskResult> {
  const handler = typeof agent === "function" ? agent : agent.onTask;
  if (handler === undefined) throw new TypeError("runTask: the agent options have no onTask");
  const task = testTask(input);
  const report: RunTaskResult = { progress: [], output: [] };
  if (typeof agent !== "function") {
    const types = resolveTaskTypes(agent);
    if (!types.includes("*") && !types.includes(task.type)) {
      report.error = { code: "UNSUPPORTED_TASK_TYPE", message: `this agent does not run ${task.type} tasks`, retryable: true };
      return report;
    }
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(cancelledAbort());
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    task.timeoutMs > 0 ? setTimeout(() => controller.abort(cancelledAbort("timeout")), task.timeoutMs) : undefined;
  try {
    const outcome = await runTaskHandler(handler, {
      task,
      signal: controller.signal,
      agentId: options.agentId ?? "test-agent",
      sandbox: testSandbox(options.sandbox, controller.signal),
      logger: withFields(toLogger(options.logger ?? silentLogger), { taskId: task.id }),
      sink: {
        progress: (percent, message) => {
          report.progress.push({ percent, message });
          options.onProgress?.({ percent, message }, report.progress.length - 1);
        },
        output: (chunk, stream) => {
          const entry: TaskOutputEntry = typeof chunk === "string" ? { stream, text: chunk } : { stream, data: chunk };
          report.output.push(entry);
          options.onOutput?.(entry, report.output.length - 1);
        },
      },
    });
    if (outcome.ok) report.result = outcome.result;
    else report.error = outcome.error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  return report;
}

/** The `ctx.sandbox()` of a test run: `sandbox` bound to the run's signal, else a SandboxNotConfiguredError. */
function testSandbox(sandbox: Sandbox | undefined, signal: AbortSignal): () => Promise<Sandbox> {
  return () =>
    sandbox === undefined
      ? Promise.reject(new SandboxNotConfiguredError("no sandbox in this test run: pass `sandbox: fakeSandbox(...)` to runHandler or runTask"))
      : Promise.resolve(bindSandbox(sandbox, signal));
}

function testTask(input: RunTaskInput): Task {
  return {
    id: "test-task",
    name: "",
    type: "custom",
    sessionId: "test-session",
    priority: "normal",
    command: "",
    arguments: [],
    parameters: {},
    inputData: new Uint8Array(),
    environment: {},
    workingDirectory: "",
    timeoutMs: 0,
    ...input,
  };
}
