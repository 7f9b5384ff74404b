import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import type { AgentService, StreamTaskRequestSchema } from "@baaaht/proto/agent/v1";
import { Fifo } from "@baaaht/transport";
import { backoffDelay } from "./backoff.js";
import type { Logger } from "./logger.js";
import type { ReconnectOptions } from "./options.js";
import { bearer } from "./registration.js";

/** What an executing agent sends up StreamTask after the first request. */
export type TaskReport = MessageInitShape<typeof StreamTaskRequestSchema>["payload"];

/** How a task stream ended: undefined when the orchestrator ended it with OK. */
export type StreamEnd = ConnectError | undefined;

/** Opens the StreamTask stream of one task (bound to the agent's client and token). */
export type OpenTaskStream = (taskId: string, onFailure: (err: ConnectError) => void) => TaskStream;

/** Reports of one task kept while its stream is re-attaching: 10 000 (older ones are dropped past it). */
export const MAX_PENDING_TASK_REPORTS = 10_000;

/** A stream that stayed up this long resets the re-attach backoff. */
const STABLE_STREAM_MS = 1_000;

/**
 * The codes with which the orchestrator refuses a task's stream for good
 * (the task ended or was given to another agent, the agent is unknown, a
 * report was malformed). Any other failure (the orchestrator restarting, a
 * dropped connection) is transient: the stream is opened again.
 */
const REFUSALS = new Set([
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.NotFound,
  Code.InvalidArgument,
  Code.Unauthenticated,
  Code.AlreadyExists,
  Code.OutOfRange,
  Code.Unimplemented,
]);

/** True when the orchestrator refused the task's stream for good. */
export function isTaskStreamRefusal(err: ConnectError): boolean {
  return REFUSALS.has(err.code);
}

/** Options of {@link taskStreamOpener}. */
export interface TaskStreamOptions {
  /** Where re-attach attempts are logged (debug). Defaults to nowhere. */
  logger?: Logger;
  /** The backoff between attempts to open the stream again. Defaults to the agent's reconnect defaults (100 ms doubling up to 5 s). */
  reconnect?: ReconnectOptions;
}

/** Binds {@link TaskStream} to a client and the agent's registration token. */
export function taskStreamOpener(client: Client<typeof AgentService>, token: string, options: TaskStreamOptions = {}): OpenTaskStream {
  return (taskId, onFailure) => new TaskStream(client, token, taskId, onFailure, options);
}

type Request = MessageInitShape<typeof StreamTaskRequestSchema>;

/**
 * The agent's side of one task's StreamTask stream: the first request names
 * the task, then progress, output and exactly one final report (complete or
 * error_msg) go up it in order. The orchestrator ends the stream with OK
 * once it stored the final report.
 *
 * The stream outlives the orchestrator: when it fails for a transient reason
 * (the orchestrator restarts, the connection drops) the task keeps running,
 * its reports wait, and the stream is opened again (with backoff, or at once
 * on {@link reattachNow}): the orchestrator re-attaches the task to the
 * agent and the waiting reports go up. When the orchestrator refuses the
 * stream for good (see {@link isTaskStreamRefusal}) `onFailure` is called
 * and the stream ends.
 */
export class TaskStream {
  /** Reports not yet taken by a stream. */
  readonly #pending = new Fifo<Request>();
  /** The final report: sent again on every new life of the stream until the orchestrator confirms it. */
  #final: Request | undefined;
  readonly #client: Client<typeof AgentService>;
  readonly #token: string;
  readonly #taskId: string;
  readonly #onFailure: (err: ConnectError) => void;
  readonly #options: TaskStreamOptions;
  #wake: (() => void) | undefined;
  #controller: AbortController | undefined;
  #retryNow: (() => void) | undefined;
  #finishing = false;
  /** The final report was queued: the request side ends once it is taken. */
  #lastQueued = false;
  #closed: ConnectError | undefined;
  #attached = false;
  #onAttached: (() => void) | undefined;
  #dropped = 0;
  /** Settles when the stream ended for good: undefined for OK, else the error. Never rejects. */
  readonly ended: Promise<StreamEnd>;

  constructor(
    client: Client<typeof AgentService>,
    token: string,
    taskId: string,
    onFailure: (err: ConnectError) => void,
    options: TaskStreamOptions = {},
  ) {
    this.#client = client;
    this.#token = token;
    this.#taskId = taskId;
    this.#onFailure = onFailure;
    this.#options = options;
    this.ended = this.#run();
  }

  /** Queues a progress or output report; dropped once the stream ended. */
  send(payload: TaskReport): void {
    if (this.#lastQueued || this.#closed) return;
    if (this.#pending.length >= MAX_PENDING_TASK_REPORTS) {
      this.#pending.shift();
      if (this.#dropped++ === 0) this.#options.logger?.warn("too many task reports wait for the orchestrator: dropping the oldest", { taskId: this.#taskId });
    }
    this.#pending.push({ taskId: this.#taskId, payload });
    this.#wakeUp();
  }

  /**
   * Sends the final report (none when `final` is undefined), ends the
   * request side and waits for the orchestrator to end the stream: up to
   * `graceMs` once the report is on an open stream (a stream that is
   * re-attaching is waited for), then cuts it. Resolves with how the stream
   * ended (a DeadlineExceeded error when the grace passed).
   */
  async finish(final: TaskReport | undefined, graceMs: number): Promise<StreamEnd> {
    if (final !== undefined && !this.#lastQueued) this.#final = { taskId: this.#taskId, payload: final };
    this.#finishing = true;
    this.#lastQueued = true;
    this.#wakeUp();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<StreamEnd>((resolve) => {
      const arm = () => {
        timer = setTimeout(
          () => resolve(new ConnectError("the orchestrator did not end the task stream in time", Code.DeadlineExceeded)),
          graceMs,
        );
      };
      if (this.#attached) arm();
      else this.#onAttached = arm;
    });
    try {
      return await Promise.race([this.ended, grace]);
    } finally {
      clearTimeout(timer);
      this.#cut(undefined);
    }
  }

  /**
   * Ends the stream without a final report: what is queued still goes up
   * when the stream is open (waiting at most `graceMs` for the orchestrator
   * to end it); a stream waiting to re-attach is cut at once.
   */
  async end(graceMs: number): Promise<void> {
    if (!this.#attached || this.#closed) {
      this.close();
      return;
    }
    await this.finish(undefined, graceMs);
  }

  /** Cuts the stream at once without a final report. */
  close(): void {
    this.#finishing = true;
    this.#cut(new ConnectError("the task stream was closed", Code.Canceled));
  }

  /** Opens the stream again at once when it waits to re-attach (the agent's connection is back). */
  reattachNow(): void {
    this.#retryNow?.();
  }

  #cut(reason: ConnectError | undefined): void {
    this.#closed ??= reason ?? new ConnectError("the task stream ended", Code.Canceled);
    this.#controller?.abort();
    this.#retryNow?.();
    this.#wakeUp();
  }

  async #run(): Promise<StreamEnd> {
    const logger = this.#options.logger;
    for (let attempt = 0; ; ) {
      const opened = Date.now();
      const { end, final } = await this.#once();
      if (end === undefined) return undefined;
      if (this.#closed) return end;
      if (final || isTaskStreamRefusal(end)) {
        if (!this.#finishing) this.#onFailure(end);
        return end;
      }
      if (Date.now() - opened >= STABLE_STREAM_MS) attempt = 0;
      const delayMs = backoffDelay(attempt++, this.#options.reconnect);
      logger?.debug("the task stream failed: opening it again", { taskId: this.#taskId, error: end.rawMessage, retryInMs: delayMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delayMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#retryNow = done;
      });
      this.#retryNow = undefined;
      if (this.#closed) return this.#closed;
    }
  }

  /**
   * One life of the StreamTask call: `end` is undefined on an OK end after
   * the final report, else the error; `final` when the orchestrator ended it
   * (OK) before the task's final report, which is not retried either.
   */
  async #once(): Promise<{ end: StreamEnd; final?: boolean }> {
    const controller = new AbortController();
    this.#controller = controller;
    try {
      const responses = this.#client.streamTask(this.#requests(controller.signal), {
        headers: bearer(this.#token),
        signal: controller.signal,
      });
      for await (const _ of responses) {
        // the orchestrator sends nothing the executing agent must act on
      }
      if (this.#finishing) return { end: undefined };
      return { end: new ConnectError("the orchestrator ended the task stream early", Code.Aborted), final: true };
    } catch (err) {
      return { end: this.#closed ?? ConnectError.from(err) };
    } finally {
      this.#attached = false;
      controller.abort();
    }
  }

  /** The request side of one life: the task id, then the waiting reports as they come, until the last one. */
  async *#requests(signal: AbortSignal): AsyncGenerator<Request> {
    yield { taskId: this.#taskId };
    this.#attached = true;
    const onAttached = this.#onAttached;
    this.#onAttached = undefined;
    onAttached?.();
    while (!signal.aborted && !this.#closed) {
      const next = this.#pending.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#lastQueued) {
        if (this.#final) yield this.#final;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      this.#wake = undefined;
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
