import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ContainerState } from "@baaaht/proto/orchestrator/v1";
import type { Container, ContainerConfigSchema } from "@baaaht/proto/orchestrator/v1";
import { raceAbort } from "./abort-reasons.js";
import { bindSandbox } from "./bound-sandbox.js";
import type { Logger } from "./logger.js";
import { RemoteSandbox } from "./remote-sandbox.js";
import type { SandboxCalls, SandboxInfo } from "./remote-sandbox.js";
import { SandboxError, SandboxNotConfiguredError, toSandboxError } from "./sandbox-errors.js";
import { DEFAULT_SANDBOX_COMMAND, SANDBOX_AGENT_LABEL } from "./sandbox-types.js";
import type { Sandbox, SandboxOptions } from "./sandbox-types.js";

/** What a handler context's `sandbox()` calls: the sandbox of `sessionId`, bound to the handler's `signal`. */
export type SandboxSource = (sessionId: string, signal: AbortSignal) => Promise<Sandbox>;

/** How many sessions' sandboxes an agent remembers; a forgotten one is found again by its labels. */
const REMEMBERED_SANDBOXES = 1_000;

/** Options of a {@link SandboxProvider}. */
export interface SandboxProviderOptions {
  /** The agent's `sandbox` option; undefined: `ctx.sandbox()` rejects with `SandboxNotConfiguredError`. */
  sandbox: SandboxOptions | undefined;
  /** The agent's name: the value of its sandboxes' {@link SANDBOX_AGENT_LABEL}. */
  agentName: string;
  /** The client and headers of a call now; undefined while the agent is not registered. */
  calls: () => SandboxCalls | undefined;
  logger: Logger;
}

/**
 * The sandboxes of an agent, one per session: found (by the session and the
 * agent's label, so also after an agent restart) or created on first use,
 * then reused by every later handler of the session. A sandbox the
 * orchestrator reports gone or stopped is forgotten, and found or created
 * again on the next use.
 */
export class SandboxProvider {
  readonly #options: SandboxProviderOptions;
  readonly #bySession = new Map<string, Promise<SandboxInfo>>();

  constructor(options: SandboxProviderOptions) {
    this.#options = options;
  }

  /** The sandbox of `sessionId` for a handler whose signal is `signal`. */
  readonly source: SandboxSource = async (sessionId, signal) => {
    if (this.#options.sandbox === undefined) throw new SandboxNotConfiguredError();
    if (sessionId === "") throw new SandboxError("a sandbox belongs to a session, and this work has none", Code.FailedPrecondition);
    const info = await raceAbort(this.#infoFor(sessionId), signal);
    const remote = new RemoteSandbox(info, () => this.#calls(), () => this.#forget(sessionId, info.id));
    return bindSandbox(remote, signal);
  };

  #infoFor(sessionId: string): Promise<SandboxInfo> {
    let pending = this.#bySession.get(sessionId);
    if (pending === undefined) {
      const created = this.#findOrCreate(sessionId, this.#options.sandbox as SandboxOptions);
      pending = created;
      this.#bySession.set(sessionId, created);
      created.catch(() => {
        if (this.#bySession.get(sessionId) === created) this.#bySession.delete(sessionId);
      });
      if (this.#bySession.size > REMEMBERED_SANDBOXES) {
        const oldest = this.#bySession.keys().next().value;
        if (oldest !== undefined) this.#bySession.delete(oldest);
      }
    }
    return pending;
  }

  #forget(sessionId: string, containerId: string): void {
    const pending = this.#bySession.get(sessionId);
    void pending?.then((info) => {
      if (info.id === containerId && this.#bySession.get(sessionId) === pending) this.#bySession.delete(sessionId);
    });
  }

  #calls(): SandboxCalls {
    const calls = this.#options.calls();
    if (calls === undefined) throw new SandboxError("the agent is not connected to the orchestrator", Code.Unavailable);
    return calls;
  }

  async #findOrCreate(sessionId: string, sandbox: SandboxOptions): Promise<SandboxInfo> {
    const { logger, agentName } = this.#options;
    const labels = { [SANDBOX_AGENT_LABEL]: agentName };
    try {
      const { client, headers } = this.#calls();
      const found = await client.listContainers({ filter: { sessionId, labels } }, { headers });
      const mine = found.containers.filter((c) => c.sessionId === sessionId && c.config?.labels[SANDBOX_AGENT_LABEL] === agentName);
      const running = newestRunning(mine);
      for (const stale of mine.filter((c) => c !== running && c.state !== ContainerState.RUNNING)) {
        await client.removeContainer({ containerId: stale.id, force: true }, { headers }).catch((err: unknown) => {
          logger.warn("could not remove a stopped sandbox", { sessionId, containerId: stale.id, error: String(err) });
        });
      }
      if (running !== undefined) {
        logger.info("reusing the session's sandbox", { sessionId, containerId: running.id });
        return { id: running.id, sessionId, image: running.image || running.config?.image || sandbox.image };
      }
      const res = await client.createContainer({ sessionId, config: containerConfig(sandbox, labels) }, { headers });
      const id = res.containerId || (res.container?.id ?? "");
      logger.info("created the session's sandbox", { sessionId, containerId: id, image: sandbox.image });
      return { id, sessionId, image: sandbox.image };
    } catch (err) {
      throw toSandboxError(err);
    }
  }
}

/** The ContainerConfig of a sandbox: the options, the keep-alive command and the agent's label. */
export function containerConfig(
  sandbox: SandboxOptions,
  labels: Record<string, string>,
): MessageInitShape<typeof ContainerConfigSchema> {
  const limits = sandbox.limits ?? {};
  return {
    image: sandbox.image,
    command: [...(sandbox.command ?? DEFAULT_SANDBOX_COMMAND)],
    env: { ...sandbox.env },
    workingDir: sandbox.workingDir ?? "",
    labels: { ...sandbox.labels, ...labels },
    networkMode: sandbox.networkMode ?? "",
    resources: {
      nanoCpus: BigInt(Math.round((limits.cpus ?? 0) * 1e9)),
      memoryBytes: BigInt(limits.memoryBytes ?? 0),
      memorySwap: BigInt(limits.memorySwapBytes ?? 0),
      pidsLimit: BigInt(limits.pids ?? 0),
    },
  };
}

function newestRunning(containers: Container[]): Container | undefined {
  const created = (c: Container) => c.createdAt?.seconds ?? 0n;
  return containers
    .filter((c) => c.state === ContainerState.RUNNING)
    .sort((a, b) => (created(a) < created(b) ? 1 : created(a) > created(b) ? -1 : 0))[0];
}

/** Checks the `sandbox` option of `createAgent`; throws a TypeError naming the bad field. */
export function checkSandboxOptions(sandbox: SandboxOptions): void {
  if (typeof sandbox.image !== "string" || sandbox.image.trim() === "") {
    throw new TypeError("createAgent: `sandbox.image` is required");
  }
  if (sandbox.command !== undefined && sandbox.command.length === 0) {
    throw new TypeError("createAgent: `sandbox.command` must not be empty (leave it out for the default)");
  }
  const limits = sandbox.limits ?? {};
  if (limits.cpus !== undefined && !(Number.isFinite(limits.cpus) && limits.cpus > 0)) {
    throw new TypeError(`createAgent: \`sandbox.limits.cpus\` must be a number > 0, got ${limits.cpus}`);
  }
  for (const key of ["memoryBytes", "pids"] as const) {
    const value = limits[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new TypeError(`createAgent: \`sandbox.limits.${key}\` must be a whole number > 0, got ${value}`);
    }
  }
  const swap = limits.memorySwapBytes;
  if (swap !== undefined && !(Number.isSafeInteger(swap) && (swap > 0 || swap === -1))) {
    throw new TypeError(`createAgent: \`sandbox.limits.memorySwapBytes\` must be a whole number > 0 or -1, got ${swap}`);
  }
}
