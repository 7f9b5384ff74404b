/** The chunk error of an answer the orchestrator (or the caller of `runHandler`) cancelled. */
export const CANCELLED = "cancelled";

/** The chunk error of an answer cut because the agent stopped and the drain timeout passed. */
export const DRAIN_TIMEOUT = "the agent stopped before the answer was complete";

/** The abort reason of answers in flight when the connection to the orchestrator was lost. */
export const CONNECTION_LOST = "the connection to the orchestrator was lost";

/** An abort reason: an Error named "AbortError" (like `AbortSignal.abort()`'s) with `message`. */
export function abortError(message: string): Error {
  const err = new Error(message);
  err.name = "AbortError";
  return err;
}

/** The message of an aborted signal's reason. */
export function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? CANCELLED : String(reason);
}

/** Rejects with the signal's reason as soon as it aborts, else settles like `promise`. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err as Error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Waits for `work` to settle, at most `timeoutMs` and only until `hurry`
 * aborts. Resolves true when it settled in time. Never rejects.
 */
export async function settleWithin(work: Promise<unknown>, timeoutMs: number, hurry?: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onHurry: (() => void) | undefined;
  const cut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    onHurry = () => resolve(false);
    if (hurry?.aborted) onHurry();
    hurry?.addEventListener("abort", onHurry, { once: true });
  });
  try {
    return await Promise.race([work.then(() => true, () => true), cut]);
  } finally {
    clearTimeout(timer);
    if (onHurry !== undefined) hurry?.removeEventListener("abort", onHurry);
  }
}
