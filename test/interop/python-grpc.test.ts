import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { shortTempDir, startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";

// A second independent client: Python grpcio with stubs generated from the
// repo's .proto files. Debian's packages: always /usr/bin/python3.
const PYTHON = "/usr/bin/python3";
const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));
const HEALTH_PROTO = fileURLToPath(new URL("../../proto-grpc/grpc/health/v1/health.proto", import.meta.url));
const WELL_KNOWN = "/usr/lib/python3/dist-packages/grpc_tools/_proto";

const hasPythonGrpc = spawnSync(PYTHON, ["-c", "import grpc, grpc_tools"]).status === 0;
const inCi = Boolean(process.env.CI) && process.env.CI !== "false";

// The client script. The health proto is generated as a top-level module
// (health_v1) because a `grpc/` package would shadow the grpc library.
const CLIENT_PY = `
import json, os, sys, time
import grpc
from control.v1 import control_pb2, control_pb2_grpc
import health_v1_pb2, health_v1_pb2_grpc

out = {}
with grpc.insecure_channel("unix:" + os.environ["BAAAHT_SOCKET"]) as channel:
    control = control_pb2_grpc.ControlServiceStub(channel)
    sent = time.time_ns()
    res = control.Ping(control_pb2.PingRequest(timestamp=sent),
                       metadata=[("authorization", "Bearer " + os.environ["BAAAHT_TOKEN"])], timeout=10)
    out["sent"], out["ping"], out["pong"] = str(sent), str(res.ping_timestamp), str(res.pong_timestamp)
    try:
        control.Ping(control_pb2.PingRequest(timestamp=1), timeout=10)
        out["no_token"] = "OK"
    except grpc.RpcError as err:
        out["no_token"] = err.code().name
    health = health_v1_pb2_grpc.HealthStub(channel)
    check = health.Check(health_v1_pb2.HealthCheckRequest(service="control.v1.ControlService"), timeout=10)
    out["health"] = health_v1_pb2.HealthCheckResponse.ServingStatus.Name(check.status)
print(json.dumps(out))
`;

interface PythonResult {
  sent: string;
  ping: string;
  pong: string;
  no_token: string;
  health: string;
}

describe("Python grpcio client against a real orchestrator", () => {
  const tempDirs: string[] = [];
  afterAll(async () => {
    await stopAllOrchestrators();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(!hasPythonGrpc && inCi)("has python3-grpcio and python3-grpc-tools installed (required in CI)", () => {
    expect.fail(`${PYTHON} cannot import grpc and grpc_tools: apt-get install -y python3-grpcio python3-grpc-tools`);
  });

  it.runIf(hasPythonGrpc)("Ping and Health Check work from Python over the Unix socket", async () => {
    const gen = shortTempDir();
    tempDirs.push(gen);
    const healthInclude = join(gen, "include");
    mkdirSync(healthInclude);
    copyFileSync(HEALTH_PROTO, join(healthInclude, "health_v1.proto"));
    const protoc = spawnSync(
      PYTHON,
      [
        "-m", "grpc_tools.protoc",
        `-I${PROTO_DIR}`, `-I${healthInclude}`, `-I${WELL_KNOWN}`,
        `--python_out=${gen}`, `--grpc_python_out=${gen}`,
        "control/v1/control.proto", "health_v1.proto",
      ],
      { encoding: "utf8" },
    );
    expect(protoc.status, protoc.stderr).toBe(0);
    writeFileSync(join(gen, "client.py"), CLIENT_PY);

    const orch = await startOrchestrator();
    const run = spawnSync(PYTHON, [join(gen, "client.py")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, BAAAHT_SOCKET: orch.socketPath, BAAAHT_TOKEN: orch.token("admin") },
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as PythonResult;
    expect(BigInt(result.ping)).toBe(BigInt(result.sent));
    expect(BigInt(result.pong)).toBeGreaterThanOrEqual(BigInt(result.sent));
    expect(result.no_token).toBe("UNAUTHENTICATED");
    expect(result.health).toBe("SERVING");
  });
});
