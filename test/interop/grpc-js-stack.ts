import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { Observed, PlannedCall } from "./scenarios.js";
import { CALL_TIMEOUT_MS, stopsAfter, type Stack } from "./stack.js";

// @grpc/grpc-js with @grpc/proto-loader reading the repo's .proto files at
// run time: no generated code, no Connect.

const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));
const PROTO_GRPC_DIR = fileURLToPath(new URL("../../proto-grpc", import.meta.url));

const definitions = protoLoader.loadSync(
  [
    "orchestrator/v1/orchestrator.proto",
    "agent/v1/agent.proto",
    "gateway/v1/gateway.proto",
    "control/v1/control.proto",
    "grpc/health/v1/health.proto",
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
  ],
  // proto3 JSON-like objects: camelCase, 64-bit and bytes as strings, enum names, no defaults
  { includeDirs: [PROTO_DIR, PROTO_GRPC_DIR], keepCase: false, longs: String, enums: String, bytes: String, defaults: false, oneofs: true, json: true },
);

type Method = protoLoader.MethodDefinition<object, Record<string, unknown>>;

function methodOf(call: PlannedCall): Method {
  const method = (definitions[call.service] as protoLoader.ServiceDefinition | undefined)?.[call.method];
  if (!method) throw new Error(`grpc-js: no ${call.service}/${call.method} in the loaded protos`);
  return method as Method;
}

function metadataOf(call: PlannedCall): grpc.Metadata {
  const md = new grpc.Metadata();
  if (call.token !== undefined) md.set("authorization", `Bearer ${call.token}`);
  return md;
}

function codeName(code: grpc.status): string {
  return grpc.status[code] ?? `CODE_${code}`;
}

function unary(client: grpc.Client, call: PlannedCall): Promise<Observed> {
  const m = methodOf(call);
  return new Promise((resolve) => {
    client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, call.requests[0] ?? {}, metadataOf(call), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) =>
      resolve(err ? { id: call.id, code: codeName(err.code), message: err.details, responses: [] } : { id: call.id, code: "OK", responses: [res as Record<string, unknown>] }),
    );
  });
}

function streaming(client: grpc.Client, call: PlannedCall): Promise<Observed> {
  const m = methodOf(call);
  const options = { deadline: Date.now() + CALL_TIMEOUT_MS };
  let stream: grpc.ClientReadableStream<Record<string, unknown>>;
  if (call.kind === "server_streaming") {
    stream = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, call.requests[0] ?? {}, metadataOf(call), options);
  } else {
    const duplex = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, metadataOf(call), options);
    // send the requests and keep the request side open, as a live client does
    for (const req of call.requests) duplex.write(req);
    stream = duplex;
  }
  const responses: Record<string, unknown>[] = [];
  let stopped = false;
  return new Promise((resolve) => {
    stream.on("data", (res: Record<string, unknown>) => {
      if (stopped) return;
      responses.push(res);
      if (stopsAfter(call, responses)) {
        stopped = true;
        stream.cancel();
      }
    });
    stream.on("error", () => undefined); // the status below says it
    stream.on("status", (status: grpc.StatusObject) =>
      resolve({ id: call.id, code: stopped ? "OK" : codeName(status.code), message: status.details, responses }),
    );
  });
}

export const grpcJsStack: Stack = {
  name: "grpc-js",
  missing: () => undefined,
  unsupported: () => undefined,
  async run(socketPath, calls) {
    const client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
    try {
      return await Promise.all(calls.map((call) => (call.kind === "unary" ? unary(client, call) : streaming(client, call))));
    } finally {
      client.close();
    }
  },
};
