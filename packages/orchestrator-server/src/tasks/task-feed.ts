import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { StreamTaskResponseSchema, TaskState, type StreamTaskResponse, type Task } from "@baaaht/proto/agent/v1";
import { AsyncQueue } from "../util/async-queue.js";

/** Messages that may wait for a slow watcher before its stream is cut with RESOURCE_EXHAUSTED: 1 000. */
export const DEFAULT_WATCHER_BUFFER = 1_000;

/**
 * Reports (output, progress) of one unfinished task kept in memory for late
 * watchers: 10 000. Past it the task's reports are replayed from the store.
 */
export const DEFAULT_REPLAY_IN_MEMORY = 10_000;

/** One watcher's view of a task: the messages to send down its StreamTask stream. */
export interface TaskWatch {
  /** The status, then the reports so far, then everything live; ends after the final complete or error. */
  readonly messages: AsyncIterable<StreamTaskResponse>;
  /** Stops watching (the stream went away), failing the stream with `error` when given. */
  close(error?: unknown): void;
}

/** A `status` message with the task's state. */
export function statusMessage(task: Task, note = ""): StreamTaskResponse {
  return create(StreamTaskResponseSchema, {
    payload: { case: "status", value: { state: task.state, message: note, timestamp: timestampNow() } },
  });
}

/** The final message of an ended task: `complete` with its result, or `error`. */
export function finalMessage(task: Task): StreamTaskResponse {
  if (task.state === TaskState.COMPLETED) {
    return create(StreamTaskResponseSchema, {
      payload: { case: "complete", value: { taskId: task.id, result: task.result, completedAt: task.completedAt } },
    });
  }
  const error = task.error ?? { code: TaskState[task.state] ?? "ENDED", message: `task ${task.id} ended` };
  return create(StreamTaskResponseSchema, { payload: { case: "error", value: error } });
}

/** A watch that sends `messages` and ends (a task that already ended). */
export function endedWatch(messages: readonly StreamTaskResponse[]): TaskWatch {
  const queue = new AsyncQueue<StreamTaskResponse>(messages.length + 1);
  for (const message of messages) queue.push(message);
  queue.end();
  return { messages: queue, close: () => undefined };
}

/** A message announced while a watcher still reads the stored reports; `index` for a stored report. */
interface Pending {
  message: StreamTaskResponse;
  index?: number;
}

interface Watcher {
  readonly queue: AsyncQueue<StreamTaskResponse>;
  /** Set while the watcher catches up from the store: what was announced meanwhile. */
  pending?: Pending[];
  /** The feed finished while catching up: end after the pending messages. */
  ending?: boolean;
}

interface Feed {
  /** The last status announced. */
  status: StreamTaskResponse;
  /** The stored reports announced so far; undefined once there were too many to keep. */
  reports: StreamTaskResponse[] | undefined;
  /** How many stored reports the task has (those before a restart included). */
  count: number;
  readonly watchers: Set<Watcher>;
}

/** Options of {@link TaskFeeds}. */
export interface TaskFeedsOptions {
  /** Reads a task's stored reports, in stored order (for a feed whose reports are not in memory). */
  readReports(taskId: string): Promise<StreamTaskResponse[]>;
  /** Messages that may wait per watcher. Defaults to {@link DEFAULT_WATCHER_BUFFER}. */
  buffer?: number;
  /** Reports kept in memory per task. Defaults to {@link DEFAULT_REPLAY_IN_MEMORY}. */
  inMemory?: number;
}

/**
 * What the watchers of every unfinished task have been told, and the
 * watchers themselves. The task engine announces here only what is
 * committed, in stored order, so a watcher that attaches gets the last
 * status, then every stored report so far (from memory, or from the store
 * when the task has too many to keep), then everything live: no gap, no
 * duplicate. Publishing never waits: a watcher more than `buffer` messages
 * behind is cut with RESOURCE_EXHAUSTED.
 */
export class TaskFeeds {
  readonly #feeds = new Map<string, Feed>();
  readonly #o: TaskFeedsOptions;
  readonly #buffer: number;
  readonly #inMemory: number;

  constructor(options: TaskFeedsOptions) {
    this.#o = options;
    this.#buffer = options.buffer ?? DEFAULT_WATCHER_BUFFER;
    this.#inMemory = options.inMemory ?? DEFAULT_REPLAY_IN_MEMORY;
  }

  /** Starts the feed of an unfinished task with its status and the reports it already stored. */
  open(taskId: string, status: StreamTaskResponse, stored: readonly StreamTaskResponse[]): void {
    const reports = stored.length <= this.#inMemory ? [...stored] : undefined;
    this.#feeds.set(taskId, { status, reports, count: stored.length, watchers: new Set() });
  }

  /** True while the task has a feed (it has not ended). */
  has(taskId: string): boolean {
    return this.#feeds.has(taskId);
  }

  /** How many watchers a task has. */
  watcherCount(taskId: string): number {
    return this.#feeds.get(taskId)?.watchers.size ?? 0;
  }

  /** Announces a committed state change that did not end the task. */
  status(taskId: string, message: StreamTaskResponse): void {
    const feed = this.#feeds.get(taskId);
    if (!feed) return;
    feed.status = message;
    this.#deliver(feed, { message });
  }

  /** Announces a committed report (output, progress): it is replayed to later watchers. */
  report(taskId: string, message: StreamTaskResponse): void {
    const feed = this.#feeds.get(taskId);
    if (!feed) return;
    const index = feed.count++;
    if (feed.reports) {
      feed.reports.push(message);
      if (feed.reports.length > this.#inMemory) feed.reports = undefined;
    }
    this.#deliver(feed, { message, index });
  }

  /** Relays a message to the current watchers only (not replayed). */
  relay(taskId: string, message: StreamTaskResponse): void {
    const feed = this.#feeds.get(taskId);
    if (feed) this.#deliver(feed, { message });
  }

  /** Sends the last messages of an ended task, ends every watcher's stream (OK) and forgets the feed. */
  finish(taskId: string, last: readonly StreamTaskResponse[]): void {
    const feed = this.#feeds.get(taskId);
    if (!feed) return;
    this.#feeds.delete(taskId);
    for (const watcher of feed.watchers) {
      for (const message of last) this.#push(feed, watcher, { message });
      if (watcher.pending) watcher.ending = true;
      else watcher.queue.end();
    }
    feed.watchers.clear();
  }

  /**
   * Adds a watcher of an unfinished task: status, reports so far, then live.
   * Undefined when the task has no feed (it ended: read it from the store).
   */
  watch(taskId: string): TaskWatch | undefined {
    const feed = this.#feeds.get(taskId);
    if (!feed) return undefined;
    const queue = new AsyncQueue<StreamTaskResponse>(this.#buffer + feed.count + 2);
    const watcher: Watcher = { queue };
    feed.watchers.add(watcher);
    if (feed.reports) {
      queue.push(feed.status);
      for (const report of feed.reports) queue.push(report);
    } else {
      this.#catchUp(taskId, feed, watcher, feed.status);
    }
    return {
      messages: queue,
      close: (error?: unknown) => {
        queue.end(error);
        feed.watchers.delete(watcher);
      },
    };
  }

  /** Ends every watcher's stream, with `error` when given (the orchestrator is stopping). */
  closeAll(error?: unknown): void {
    for (const feed of this.#feeds.values()) for (const watcher of feed.watchers) watcher.queue.end(error);
    this.#feeds.clear();
  }

  /** Replays the stored reports to a watcher, then what was announced while reading them (skipping what the store had). */
  #catchUp(taskId: string, feed: Feed, watcher: Watcher, status: StreamTaskResponse): void {
    watcher.pending = [];
    this.#o.readReports(taskId).then(
      (stored) => {
        const pending = watcher.pending ?? [];
        watcher.pending = undefined;
        const { queue } = watcher;
        queue.push(status);
        for (const report of stored) queue.push(report);
        for (const p of pending) if (p.index === undefined || p.index >= stored.length) queue.push(p.message);
        if (watcher.ending) queue.end();
      },
      (error: unknown) => {
        watcher.queue.end(error);
        feed.watchers.delete(watcher);
      },
    );
  }

  #deliver(feed: Feed, pending: Pending): void {
    for (const watcher of feed.watchers) this.#push(feed, watcher, pending);
  }

  #push(feed: Feed, watcher: Watcher, pending: Pending): void {
    if (watcher.pending) {
      if (watcher.pending.length >= this.#buffer) watcher.queue.end(behind(this.#buffer));
      else watcher.pending.push(pending);
    } else {
      watcher.queue.push(pending.message);
    }
    if (watcher.queue.ended) feed.watchers.delete(watcher);
  }
}

function behind(limit: number): ConnectError {
  return new ConnectError(`the receiver fell behind by more than ${limit} messages`, Code.ResourceExhausted);
}
