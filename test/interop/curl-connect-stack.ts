import { spawn, spawnSync } from "node:child_process";
import type { Observed, PlannedCall } from "./scenarios.js";
import { CALL_TIMEOUT_MS, inParallel, type Stack } from "./stack.js";

// Plain curl with the Connect protocol (unary, JSON) over the socket: an HTTP
// client that knows nothing of gRPC. Errors are the Connect JSON error body.

function curlConnect(socketPath: string, call: PlannedCall): Promise<Observed> {
  const args = ["-sS", "--http2-prior-knowledge", "--unix-socket", socketPath, "--max-time", String(CALL_TIMEOUT_MS / 1000)];
  args.push("-H", "content-type: application/json", "-H", "connect-protocol-version: 1");
  if (call.token !== undefined) args.push("-H", `authorization: Bearer ${call.token}`);
  args.push("-d", JSON.stringify(call.requests[0] ?? {}), "-w", "\n%{http_code}", `http://localhost/${call.service}/${call.method}`);
  return new Promise((resolve) => {
    const child = spawn("curl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => {
      const cut = stdout.lastIndexOf("\n");
      const http = Number(stdout.slice(cut + 1));
      const body = stdout.slice(0, cut);
      if (code !== 0 || !body) {
        resolve({ id: call.id, code: `CURL_EXIT_${code}_HTTP_${http}`, message: stderr.trim(), responses: [] });
        return;
      }
      const json = JSON.parse(body) as Record<string, unknown>;
      if (http === 200) resolve({ id: call.id, code: "OK", responses: [json] });
      else resolve({ id: call.id, code: String(json.code).toUpperCase(), message: String(json.message), responses: [] });
    });
  });
}

export const curlConnectStack: Stack = {
  name: "curl-connect",
  missing: () => (spawnSync("curl", ["--version"]).error ? "curl is missing: apt-get install -y curl" : undefined),
  unsupported: (call) => (call.kind === "unary" ? undefined : "plain curl makes Connect unary calls here (streams need Connect envelopes)"),
  run: (socketPath, calls) => inParallel(calls, 4, (call) => curlConnect(socketPath, call)),
};
