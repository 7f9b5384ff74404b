import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";

/** Logs every RPC at debug level with its outcome and duration, and failures at info. */
export function createLoggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const rpc = `${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      logger.debug({ rpc, ms: Math.round(performance.now() - started) }, "rpc ok");
      return res;
    } catch (err) {
      const ce = ConnectError.from(err);
      logger.info({ rpc, code: ce.code, err: ce.rawMessage, ms: Math.round(performance.now() - started) }, "rpc failed");
      throw err;
    }
  };
}
