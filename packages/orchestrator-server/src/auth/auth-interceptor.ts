import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Authenticator } from "./authenticator.js";
import { ruleFor } from "./method-policy.js";
import { principalKey } from "./principal.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Checks the bearer token of every non-public RPC: no or unknown token is
 * UNAUTHENTICATED, a token of the wrong scope PERMISSION_DENIED. The caller's
 * principal is put in the context values for handlers.
 */
export function createAuthInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    const rule = ruleFor(req.service.typeName, req.method.name);
    if (rule.access === "public") return next(req);
    const rpc = `${req.service.typeName}/${req.method.name}`;
    const header = req.header.get("authorization");
    if (!header) {
      throw new ConnectError(
        `${rpc} needs a bearer token: send the metadata "authorization: Bearer <token>"`,
        Code.Unauthenticated,
      );
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      throw new ConnectError(`authorization metadata must have the form "Bearer <token>"`, Code.Unauthenticated);
    }
    const principal = authenticator.resolve(token);
    if (!principal) throw new ConnectError("unknown or revoked bearer token", Code.Unauthenticated);
    if (!rule.scopes.includes(principal.scope)) {
      throw new ConnectError(
        `${rpc} needs a token of scope ${rule.scopes.join(" or ")}; this token has scope ${principal.scope}`,
        Code.PermissionDenied,
      );
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
