import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Authenticator } from "./authenticator.js";
import { ruleFor } from "./method-policy.js";
import { principalKey } from "./principal.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Checks the bearer token of a non-public RPC from its headers alone, before
 * any request message is read: no or unknown token is UNAUTHENTICATED, a
 * token of the wrong scope PERMISSION_DENIED. The caller's principal is put
 * in the context values for handlers.
 */
export function authenticate(authenticator: Authenticator, ctx: HandlerContext): void {
  const rule = ruleFor(ctx.service.typeName, ctx.method.name);
  if (rule.access === "public") return;
  const rpc = `${ctx.service.typeName}/${ctx.method.name}`;
  const header = ctx.requestHeader.get("authorization");
  if (!header) {
    throw new ConnectError(`${rpc} needs a bearer token: send the metadata "authorization: Bearer <token>"`, Code.Unauthenticated);
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
  ctx.values.set(principalKey, principal);
}
