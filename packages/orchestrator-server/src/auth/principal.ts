import { createContextKey } from "@connectrpc/connect";

/** What a bearer token lets its holder do. */
export type Scope = "admin" | "agent" | "gateway";

/** The authenticated caller of an RPC. */
export interface Principal {
  scope: Scope;
  /** For agent principals created at Register: the agent this token belongs to. */
  agentId?: string;
  /** For gateway principals: the gateway identity that owns its sessions. */
  gatewayId?: string;
}

/** Handlers read the caller with `ctx.values.get(principalKey)`. */
export const principalKey = createContextKey<Principal | undefined>(undefined, {
  description: "authenticated caller",
});
