import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { Observed, PlannedCall } from "./scenarios.js";
import { CALL_TIMEOUT_MS, inParallel, stopsAfter, type Stack } from "./stack.js";

// `buf curl` (the npm @bufbuild/buf binary, offline) over the socket with the
// gRPC protocol, resolving every type through the orchestrator's server
// reflection: no .proto files. Bidi calls read their requests from stdin,
// which stays open until the answer has been read.

/**
 * The native buf binary of this platform's optional package. Not the npm bin:
 * that is a node wrapper which spawnSyncs the binary, so killing the wrapper
 * would leave buf running with our pipes open and the call never closing.
 */
function nativeBuf(): { path: string } | { missing: string } {
  const arch = ({ x64: "x64", arm64: "aarch64" } as Record<string, string>)[process.arch] ?? process.arch;
  const pkg = `@bufbuild/buf-${process.platform}-${arch}`;
  try {
    const fromBuf = createRequire(createRequire(import.meta.url).resolve("@bufbuild/buf"));
    return { path: fromBuf.resolve(`${pkg}/bin/buf`) };
  } catch {
    return { missing: `${pkg} is missing: pnpm install (devDependency @bufbuild/buf)` };
  }
}

const BUF = nativeBuf();

/** Splits concatenated (pretty-printed) JSON documents; returns the complete ones and the rest. */
function splitJson(text: string): { docs: Record<string, unknown>[]; rest: string } {
  const docs: Record<string, unknown>[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let consumed = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) {
      docs.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
      consumed = i + 1;
    }
  }
  return { docs, rest: text.slice(consumed) };
}

function bufCurl(socketPath: string, call: PlannedCall): Promise<Observed> {
  const bidi = call.kind === "bidi_streaming";
  const args = ["curl", "--unix-socket", socketPath, "--protocol", "grpc", "--http2-prior-knowledge", "--reflect"];
  if (call.token !== undefined) args.push("-H", `authorization: Bearer ${call.token}`);
  args.push("-d", bidi ? "@-" : JSON.stringify(call.requests[0] ?? {}), `http://localhost/${call.service}/${call.method}`);
  if (!("path" in BUF)) throw new Error(BUF.missing);
  const child = spawn(BUF.path, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, BUF_CACHE_DIR: process.env.BUF_CACHE_DIR ?? "/tmp/baaaht-buf-cache" } });
  const responses: Record<string, unknown>[] = [];
  let pending = "";
  let stderr = "";
  let stopped = false;
  const timer = setTimeout(() => child.kill("SIGKILL"), CALL_TIMEOUT_MS);
  child.stdout.on("data", (d: Buffer) => {
    const { docs, rest } = splitJson(pending + d.toString());
    pending = rest;
    for (const doc of docs) {
      if (stopped) return;
      responses.push(doc);
      if (stopsAfter(call, responses)) {
        stopped = true;
        child.kill("SIGKILL"); // buf curl lets a bidi call finish on SIGTERM, which may never come: what we need is read

      }
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  if (bidi) for (const req of call.requests) child.stdin.write(`${JSON.stringify(req)}\n`);
  else child.stdin.end();
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      if (stopped || code === 0) {
        resolve({ id: call.id, code: "OK", responses });
        return;
      }
      // buf curl prints an RPC error as JSON {"code": "unauthenticated", "message": ...} on stderr
      const err = splitJson(stderr).docs[0] as { code?: string; message?: string } | undefined;
      resolve({ id: call.id, code: err?.code?.toUpperCase() ?? `EXIT_${code}`, message: err?.message ?? stderr.trim(), responses });
    });
  });
}

export const bufCurlStack: Stack = {
  name: "buf-curl",
  missing: () => ("missing" in BUF ? BUF.missing : undefined),
  unsupported: () => undefined,
  // buf curl resolves the schema by reflection on every run: run a few at a time
  run: (socketPath, calls) => inParallel(calls, 4, (call) => bufCurl(socketPath, call)),
};
