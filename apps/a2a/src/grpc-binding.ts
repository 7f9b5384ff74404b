import { Server, ServerCredentials, ServerInterceptingCall, status, type Metadata, type ServerInterceptor } from "@grpc/grpc-js";
import type { A2ARequestHandler } from "@a2a-js/sdk/server";
import { A2AService, grpcService } from "@a2a-js/sdk/server/grpc";
import { bearerToken, type CallerTokens } from "./caller-tokens.js";
import { CallerUser } from "./caller-user.js";
import { VERSION_HEADER } from "./protocol-version.js";

/** A running gRPC binding. */
export interface GrpcBinding {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

const tokenOf = (metadata: Metadata): string => bearerToken(String(metadata.get("authorization")[0] ?? "")) ?? "";

/**
 * The A2A 1.0 gRPC binding (`lf.a2a.v1.A2AService`, from `@a2a-js/sdk`) on `host:port`, for
 * the same request handler as the HTTP bindings. Every call needs the bearer token of an A2A
 * caller in its `authorization` metadata, checked before the request is read
 * (UNAUTHENTICATED otherwise). The service only exists in 1.0, so a call without
 * `a2a-version` metadata is a 1.0 call.
 */
export async function startGrpcBinding(options: { host: string; port: number; handler: A2ARequestHandler; tokens: CallerTokens }): Promise<GrpcBinding> {
  const gate: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            if (!options.tokens.find(tokenOf(metadata))) {
              call.sendStatus({ code: status.UNAUTHENTICATED, details: "a valid bearer token is required (an A2A caller token: baaaht gateway-token a2a-NAME)" });
              return;
            }
            if (metadata.get(VERSION_HEADER).length === 0) metadata.set(VERSION_HEADER, "1.0");
            pass(metadata);
          },
        }),
    });
  const server = new Server({ interceptors: [gate] });
  server.addService(
    A2AService,
    grpcService({
      requestHandler: options.handler,
      userBuilder: (call) => Promise.resolve(new CallerUser(options.tokens.find(tokenOf(call.metadata))!)),
    }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 1_000).unref();
      }),
  };
}
