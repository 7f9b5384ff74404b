import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import { authenticate } from "./auth/auth-gate.js";
import type { Authenticator } from "./auth/authenticator.js";
import { assertDeadlineAhead } from "./deadline.js";
import { checkMetadata } from "./validation/metadata.js";

/**
 * The checks every call passes from its headers alone, before its body is
 * read, decompressed or parsed (connect's `requestGate`): the metadata's
 * size, a deadline already past (DEADLINE_EXCEEDED; the call never runs),
 * then the bearer token and its scope. So a caller without a valid token
 * learns nothing about how the server decodes input. Refusals are logged
 * like failed RPCs.
 */
export function createRequestGate(authenticator: Authenticator, logger: Logger): (ctx: HandlerContext) => void {
  return (ctx) => {
    try {
      checkMetadata(ctx.requestHeader);
      assertDeadlineAhead(ctx.timeoutMs());
      authenticate(authenticator, ctx);
    } catch (err) {
      const ce = ConnectError.from(err);
      logger.info({ rpc: `${ctx.service.typeName}/${ctx.method.name}`, code: ce.code, err: ce.rawMessage }, "rpc refused");
      throw err;
    }
  };
}
