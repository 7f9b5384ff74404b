import { ensureGatewayToken, gatewayTokenPath, readToken } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";

/** Gateway names: what may appear in a token file name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `baaaht gateway-token NAME`: prints the token of the named gateway, creating
 * it (in `<state-dir>/gateways/NAME.token`, mode 0600) when missing. Each named
 * gateway owns the sessions it creates; the orchestrator picks new tokens up
 * without a restart. It never creates a state directory: without the
 * orchestrator's admin token there (a mistyped --state-dir), it fails naming
 * the path.
 */
export function gatewayToken(ctx: CliContext, name: string): number {
  if (!NAME.test(name)) {
    throw new Error(`gateway name "${name}" must be 1-64 letters, digits, dots, dashes or underscores`);
  }
  readToken("admin", { stateDir: ctx.stateDir, env: {} }); // throws MissingTokenError naming the file when it is not a state dir
  const token = ensureGatewayToken(name, ctx.stateDir);
  ctx.print(token, { gateway: name, token, path: gatewayTokenPath(name, ctx.stateDir) });
  return 0;
}
