import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * DEADLINE_EXCEEDED when a call's deadline has already passed as it arrives
 * (`grpc-timeout: 0n`, `connect-timeout-ms: 0`): the call must not run.
 * `timeLeftMs` is the handler context's `timeoutMs()`.
 */
export function assertDeadlineAhead(timeLeftMs: number | undefined): void {
  if (timeLeftMs !== undefined && timeLeftMs <= 0) {
    throw new ConnectError("the deadline passed before the call started", Code.DeadlineExceeded);
  }
}

async function* endingWithDeadline<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  yield* messages;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) throw reason;
}

/**
 * A response stream that ended because its deadline passed (handlers stop
 * when the call's signal aborts) ends with DEADLINE_EXCEEDED, not OK: the
 * client must not take a cut stream for a complete one.
 */
export function createDeadlineInterceptor(): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    return res.stream ? { ...res, message: endingWithDeadline(res.message, req.signal) } : res;
  };
}
