import type { Principal } from "./principal.js";
import type { BootstrapTokens } from "./token-store.js";

/** Looks up the principal of a bearer token issued at run time (e.g. at agent Register). */
export type TokenResolver = (token: string) => Principal | undefined;

/**
 * Maps bearer tokens to principals: the bootstrap tokens of the state
 * directory, then any resolvers added by subsystems that issue their own.
 */
export class Authenticator {
  readonly #static = new Map<string, Principal>();
  readonly #resolvers: TokenResolver[] = [];

  constructor(tokens: BootstrapTokens) {
    this.#static.set(tokens.admin, { scope: "admin" });
    this.#static.set(tokens.agent, { scope: "agent" });
    this.#static.set(tokens.gateway, { scope: "gateway", gatewayId: "default" });
  }

  /** Adds a resolver consulted for tokens that are not bootstrap tokens. */
  addResolver(resolver: TokenResolver): void {
    this.#resolvers.push(resolver);
  }

  /** The principal of a token, or undefined when the token is unknown. */
  resolve(token: string): Principal | undefined {
    const known = this.#static.get(token);
    if (known) return known;
    for (const resolver of this.#resolvers) {
      const principal = resolver(token);
      if (principal) return principal;
    }
    return undefined;
  }
}
