import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescFile } from "@bufbuild/protobuf";
import { contractFiles } from "@baaaht/proto";
import { file_grpc_health_v1_health } from "@baaaht/proto/grpc/health/v1";
import { file_grpc_reflection_v1_reflection } from "@baaaht/proto/grpc/reflection/v1";
import { file_grpc_reflection_v1alpha_reflection } from "@baaaht/proto/grpc/reflection/v1alpha";
import { shortTempDir } from "../support/orchestrator-process.js";
import type { Observed, PlannedCall } from "./scenarios.js";
import type { Stack } from "./stack.js";

// Python grpcio from Debian, with stubs generated at test time from the
// repo's .proto files into a temp dir. Only /usr/bin/python3 sees Debian's
// packages. The stubs come from Debian's protoc (3.21) and grpc_python_plugin:
// grpc_tools' bundled protoc (3.5) predates proto3 `optional`, which the
// contract uses (SubscribeEventsRequest.after_sequence and others).

const PYTHON = "/usr/bin/python3";
const PROTOC = "/usr/bin/protoc";
const GRPC_PLUGIN = "/usr/bin/grpc_python_plugin";
const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));
const PROTO_GRPC_DIR = fileURLToPath(new URL("../../proto-grpc", import.meta.url));
const DRIVER = fileURLToPath(new URL("./python_driver.py", import.meta.url));

const FILES: readonly DescFile[] = [...contractFiles, file_grpc_health_v1_health, file_grpc_reflection_v1_reflection, file_grpc_reflection_v1alpha_reflection];

/**
 * Where a .proto is generated from. The standard grpc/ files are copied to a
 * top-level name (grpc/health/v1/health.proto -> health_v1.proto): a
 * generated `grpc` package would shadow the grpc library.
 */
function generatedName(file: DescFile): string {
  const parts = file.name.split("/"); // protobuf-es names files without ".proto"
  return parts[0] === "grpc" ? `${parts[1]}_${parts[2]}.proto` : `${file.name}.proto`;
}

/** service full name -> [pb2 module, pb2_grpc module] */
const STUBS: Record<string, [string, string]> = Object.fromEntries(
  FILES.flatMap((file) => {
    const module = generatedName(file).replace(/\.proto$/, "").replaceAll("/", ".");
    return file.services.map((s) => [s.typeName, [`${module}_pb2`, `${module}_pb2_grpc`]] as const);
  }),
);

function generateStubs(): string {
  const out = shortTempDir();
  const include = join(out, "include");
  mkdirSync(include);
  for (const file of FILES.filter((f) => f.name.startsWith("grpc/"))) copyFileSync(join(PROTO_GRPC_DIR, `${file.name}.proto`), join(include, generatedName(file)));
  const protoc = spawnSync(
    PROTOC,
    [`-I${PROTO_DIR}`, `-I${include}`, "-I/usr/include", `--plugin=protoc-gen-grpc_python=${GRPC_PLUGIN}`, `--python_out=${out}`, `--grpc_python_out=${out}`, ...FILES.map(generatedName)],
    { encoding: "utf8" },
  );
  if (protoc.status !== 0) throw new Error(`protoc failed: ${protoc.stderr}`);
  return out;
}

function runDriver(stubDir: string, plan: object): Promise<Observed[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DRIVER], { env: { ...process.env, PYTHONPATH: stubDir }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) reject(new Error(`python driver exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as Observed[]);
    });
    child.stdin.end(JSON.stringify(plan));
  });
}

export const pythonStack: Stack = {
  name: "python-grpcio",
  missing() {
    if (spawnSync(PYTHON, ["-c", "import grpc, google.protobuf"]).status !== 0) return `${PYTHON} cannot import grpc: apt-get install -y python3-grpcio`;
    for (const tool of [PROTOC, GRPC_PLUGIN]) {
      if (spawnSync(tool, ["--version"]).error) return `${tool} is missing: apt-get install -y protobuf-compiler protobuf-compiler-grpc`;
    }
    return undefined;
  },
  unsupported: () => undefined,
  async run(socketPath, calls: readonly PlannedCall[]) {
    const stubDir = generateStubs();
    try {
      return await runDriver(stubDir, { socket: socketPath, stubs: STUBS, calls });
    } finally {
      rmSync(stubDir, { recursive: true, force: true });
    }
  },
};
