import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { childEnv, rssMiB, startChild, waitForOutput, type Child } from "./children.js";

/** A bare baseline server process (see bare-connect-server.ts, bare-grpc-server.ts). */
export interface BareServer {
  readonly kind: "connect" | "grpc-js";
  readonly child: Child;
  readonly pid: number;
  readonly socketPath: string;
  readonly token: string;
  rss(): number;
  stop(): Promise<void>;
}

const ENTRY = {
  connect: fileURLToPath(new URL("./bare-connect-server.js", import.meta.url)),
  "grpc-js": fileURLToPath(new URL("./bare-grpc-server.js", import.meta.url)),
};

/** Starts a bare baseline server on `socketPath` and resolves once it listens. */
export async function startBareServer(kind: BareServer["kind"], socketPath: string): Promise<BareServer> {
  const token = randomBytes(24).toString("base64url");
  const child = startChild(`bare ${kind} server`, process.execPath, [ENTRY[kind]], {
    env: childEnv({ BENCH_SOCKET: socketPath, BENCH_TOKEN: token }),
  });
  await waitForOutput(child, "ready");
  return { kind, child, pid: child.pid, socketPath, token, rss: () => rssMiB(child.pid), stop: () => child.stop() };
}
