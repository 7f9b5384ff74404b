import { inject } from "vitest";
import type { PodmanSetup } from "./podman-service.js";

declare module "vitest" {
  /** What the test run's global setup (test/support/global-podman.ts) provides. */
  export interface ProvidedContext {
    /** The socket of the throwaway Podman API service; "" when there is none. */
    podmanSocket: string;
    /** Its configuration (JSON of a PodmanSetup), for the tests' own podman commands; "" when there is none. */
    podmanSetup: string;
    /** Why there is no Podman service; "" when there is one. */
    podmanUnavailable: string;
  }
}

/** The test run's Podman service, or why there is none. */
export function testPodman(): { socket: string; setup: PodmanSetup } | { unavailable: string } {
  const socket = inject("podmanSocket");
  if (!socket) return { unavailable: inject("podmanUnavailable") || "no Podman service was started for this test run (see vitest.config.ts)" };
  return { socket, setup: JSON.parse(inject("podmanSetup")) as PodmanSetup };
}
