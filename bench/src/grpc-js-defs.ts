import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** The repository root (bench/dist/.. /..). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * control.v1.ControlService and gateway.v1.GatewayService loaded from the
 * repository's .proto files with @grpc/proto-loader, for the grpc-js server
 * and client baselines.
 */
export const definitions = protoLoader.loadSync(["control/v1/control.proto", "gateway/v1/gateway.proto"], {
  includeDirs: [`${ROOT}proto`],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** A method definition of a loaded service. */
export type Method = protoLoader.MethodDefinition<object, object>;

function method(service: string, name: string): Method {
  const def = definitions[service] as protoLoader.ServiceDefinition | undefined;
  const m = def?.[name];
  if (m === undefined) throw new Error(`grpc-js: no ${service}/${name} in the loaded protos`);
  return m as Method;
}

/** ControlService.GetStatus. */
export const GET_STATUS = method("control.v1.ControlService", "GetStatus");
/** GatewayService.GatewaySendMessage. */
export const GATEWAY_SEND_MESSAGE = method("gateway.v1.GatewayService", "GatewaySendMessage");

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** A grpc-js client on `unix://<socketPath>` calling one unary method. */
export function grpcJsUnary(socketPath: string, token: string): {
  call: (m: Method, req: object) => Promise<object>;
  close: () => void;
} {
  const client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
  const md = bearer(token);
  return {
    call: (m, req) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, md, (err, res) => {
          if (err) reject(err);
          else resolve(res as object);
        });
      }),
    close: () => client.close(),
  };
}
