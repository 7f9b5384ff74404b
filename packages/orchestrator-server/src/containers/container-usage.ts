import { create } from "@bufbuild/protobuf";
import { ResourceUsageSchema, type ResourceUsage } from "@baaaht/proto/common/v1";
import type { UsageSample } from "./container-runtime.js";

/** The part of a reading CPU use is computed from. */
type CpuReading = Pick<UsageSample, "cpuTotal" | "systemCpu">;

/** The most containers whose last reading is kept. */
const MAX_KEPT = 10_000;

/**
 * Turns engine statistics into ResourceUsage. CPU use needs two readings:
 * the engine's own previous one when it gives it (Docker), else the last
 * reading taken here for the same container (Podman's one-shot statistics
 * carry none), else it is 0 for the first reading.
 */
export class UsageMeter {
  readonly #last = new Map<string, CpuReading>();

  /** The usage of a reading of a container's statistics. */
  usage(containerId: string, sample: UsageSample): ResourceUsage {
    const previous: CpuReading | undefined =
      sample.preSystemCpu > 0 ? { cpuTotal: sample.preCpuTotal, systemCpu: sample.preSystemCpu } : this.#last.get(containerId);
    if (this.#last.size >= MAX_KEPT) this.#last.clear();
    this.#last.set(containerId, { cpuTotal: sample.cpuTotal, systemCpu: sample.systemCpu });
    let cpuPercent = 0;
    if (previous) {
      const cpu = sample.cpuTotal - previous.cpuTotal;
      const system = sample.systemCpu - previous.systemCpu;
      if (cpu > 0 && system > 0) cpuPercent = (cpu / system) * sample.onlineCpus * 100;
    }
    return create(ResourceUsageSchema, {
      cpuPercent,
      memoryUsage: BigInt(Math.trunc(sample.memoryUsage)),
      memoryLimit: BigInt(Math.trunc(sample.memoryLimit)),
      memoryPercent: sample.memoryLimit > 0 ? (sample.memoryUsage / sample.memoryLimit) * 100 : 0,
      networkRx: BigInt(Math.trunc(sample.networkRx)),
      networkTx: BigInt(Math.trunc(sample.networkTx)),
      blockRead: BigInt(Math.trunc(sample.blockRead)),
      blockWrite: BigInt(Math.trunc(sample.blockWrite)),
      pidsCount: BigInt(Math.trunc(sample.pids)),
    });
  }

  /** Forgets a removed container's last reading. */
  forget(containerId: string): void {
    this.#last.delete(containerId);
  }
}
