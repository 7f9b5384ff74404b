import { GatewayTokenDirectory } from "@baaaht/transport";
import { CALLER_GATEWAY_PREFIX } from "./defaults.js";

/** An authenticated A2A caller: a named gateway of the orchestrator whose name starts with `a2a-`. */
export interface Caller {
  /** The gateway name, e.g. `a2a-alice`. */
  name: string;
  /** Its token: the bridge acts on the orchestrator as this gateway, so the orchestrator checks it again. */
  token: string;
}

/**
 * The A2A caller tokens: the orchestrator's named gateway tokens whose gateway
 * name starts with `a2a-` (made with `baaaht gateway-token a2a-NAME`). Other
 * tokens (admin, agents, the default or other named gateways) are not A2A
 * callers. New tokens work at once, without a restart.
 */
export class CallerTokens {
  readonly #tokens: GatewayTokenDirectory;

  constructor(stateDir?: string) {
    this.#tokens = new GatewayTokenDirectory(stateDir);
  }

  /** The caller presenting `token`, or undefined when it is not an A2A caller token. */
  find(token: string): Caller | undefined {
    const name = this.#tokens.find(token);
    return name?.startsWith(CALLER_GATEWAY_PREFIX) ? { name, token } : undefined;
  }
}

/** The bearer token of an `Authorization` header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
