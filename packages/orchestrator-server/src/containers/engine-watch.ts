import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerRuntime, RuntimeEvent } from "./container-runtime.js";

/** The first and the longest wait between two attempts to reach the engine. */
export const ENGINE_RETRY_MIN_MS = 500;
export const ENGINE_RETRY_MAX_MS = 5_000;

/** Options of {@link EngineWatch}. */
export interface EngineWatchOptions {
  runtime: ContainerRuntime;
  /** Only the events of containers with these labels. */
  labels: Record<string, string>;
  /** Runs each time the subscription (re)starts, before its events are handled: reconcile with the engine. */
  onSubscribed(): Promise<void>;
  /** Handles one event; events are handled one at a time, in order. */
  onEvent(event: RuntimeEvent): Promise<void>;
  /** Told about failures (they never stop the watch). */
  onError(error: unknown, during: "subscribe" | "reconcile" | "event"): void;
}

/**
 * Keeps a subscription to the engine's container events, so state changes
 * (a container exiting on its own, killed for memory, removed) reach the
 * orchestrator without polling. When the engine's stream ends (the engine
 * stopped or is unreachable) it tries again with a growing delay (0.5 s to
 * 5 s) and, once subscribed again, reconciles first (changes missed meanwhile).
 */
export class EngineWatch {
  readonly #o: EngineWatchOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: EngineWatchOptions) {
    this.#o = options;
  }

  /** Starts watching in the background. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** Stops watching; resolves once the loop has ended. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    let delay = ENGINE_RETRY_MIN_MS;
    while (!signal.aborted) {
      let events: AsyncIterable<RuntimeEvent> | undefined;
      try {
        await this.#o.runtime.ping();
        events = await this.#o.runtime.subscribe(this.#o.labels, signal);
      } catch (error) {
        if (!signal.aborted) this.#o.onError(error, "subscribe");
      }
      if (events) {
        delay = ENGINE_RETRY_MIN_MS;
        await this.#o.onSubscribed().catch((error: unknown) => this.#o.onError(error, "reconcile"));
        try {
          for await (const event of events) {
            await this.#o.onEvent(event).catch((error: unknown) => this.#o.onError(error, "event"));
          }
        } catch (error) {
          if (!signal.aborted) this.#o.onError(error, "subscribe");
        }
      }
      if (signal.aborted) break;
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, ENGINE_RETRY_MAX_MS);
    }
  }
}
