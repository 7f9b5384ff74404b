// The test run's global setup for the container tests: ONE throwaway Podman
// API service (its own storage and config, busybox image imported from
// busybox-static), its socket provided to tests (inject("podmanSocket")),
// stopped by pid at the end.
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type {} from "./podman-context.js";
import { createPodmanSetup, importBusybox, podmanMissing, removePodmanSetup, startPodmanService } from "./podman-service.js";

/** Starts the service, or explains why the container cases are skipped (a failure when CI=true). */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const missing = podmanMissing();
  if (missing) {
    if (process.env.CI === "true") throw new Error(`CI runs the container cases: ${missing}`);
    console.warn(`\nSkipping the container cases: ${missing}.\n`);
    project.provide("podmanSocket", "");
    project.provide("podmanSetup", "");
    project.provide("podmanUnavailable", missing);
    return undefined;
  }
  const setup = createPodmanSetup();
  let service: Awaited<ReturnType<typeof startPodmanService>>;
  try {
    await importBusybox(setup);
    service = await startPodmanService(setup, join(setup.dir, "api.sock"));
  } catch (error) {
    await removePodmanSetup(setup);
    throw error;
  }
  project.provide("podmanSocket", service.socketPath);
  project.provide("podmanSetup", JSON.stringify(setup));
  project.provide("podmanUnavailable", "");
  return async () => {
    await service.stop();
    await removePodmanSetup(setup);
  };
}
