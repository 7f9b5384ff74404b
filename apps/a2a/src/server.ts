import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { AgentCard, type AgentCard as AgentCardType } from "@a2a-js/sdk";
import { legacyAgentCardRouter } from "@a2a-js/sdk/compat/v0_3/server/express";
import type { ServerCallContext } from "@a2a-js/sdk/server";
import { jsonRpcHandler, restHandler } from "@a2a-js/sdk/server/express";
import { connectGateway } from "@baaaht/gateway-sdk";
import { PATHS } from "./agent-card.js";
import { AgentCards } from "./agent-cards.js";
import { gatewayDirectory } from "./agent-directory.js";
import { CallerSession } from "./caller-session.js";
import { bearerToken, CallerTokens, type Caller } from "./caller-tokens.js";
import { CallerUser } from "./caller-user.js";
import { DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_PORT } from "./defaults.js";
import { startGrpcBinding } from "./grpc-binding.js";
import { jsonRpcRequest } from "./json-rpc-request.js";
import { versionFromPath, versionFromQuery } from "./protocol-version.js";
import { BridgeRequestHandler, PATH_AGENT_HEADER } from "./request-handler.js";

export interface A2AServerOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 8789; 0 picks a free port. */
  port?: number;
  /** The orchestrator socket; defaults to `$BAAAHT_SOCKET`, then the standard one. */
  socketPath?: string;
  /** The state directory with the tokens; defaults as for every baaaht client. */
  stateDir?: string;
  /** The bridge's own gateway token (for the agent directory); defaults to `$BAAAHT_TOKEN`, then `gateway.token`. */
  token?: string;
  /** The URL the cards advertise; defaults to `http://HOST:PORT`. */
  publicUrl?: string;
  /** The port of the gRPC binding; defaults to 8790; 0 picks a free port; null serves no gRPC. */
  grpcPort?: number | null;
}

export interface A2AServer {
  /** The base URL the cards advertise. */
  readonly url: string;
  /** The gRPC target the cards advertise (`host:port`), or "" when gRPC is not served. */
  readonly grpc: string;
  close(): Promise<void>;
}

/** Starts `baaaht a2a serve`: the A2A bindings for every agent on the orchestrator. */
export async function startA2AServer(options: A2AServerOptions = {}): Promise<A2AServer> {
  const own = await connectGateway({ socketPath: options.socketPath, stateDir: options.stateDir, token: options.token, clientType: "a2a-bridge" });
  const endpoints = { baseUrl: options.publicUrl ?? "", grpc: "" };
  const cards = new AgentCards(gatewayDirectory(own), () => endpoints);
  await cards.defaultCard(); // the orchestrator answers and takes the token, or the start fails here

  const tokens = new CallerTokens(options.stateDir);
  const sessions = new Map<string, Promise<CallerSession>>();
  const sessionOf = (ctx: ServerCallContext): Promise<CallerSession> => {
    const caller = (ctx.user as CallerUser).caller;
    let session = sessions.get(caller.token);
    if (!session) {
      session = CallerSession.connect(caller, options.socketPath);
      sessions.set(caller.token, session);
    }
    return session;
  };
  const handler = new BridgeRequestHandler(cards, sessionOf);
  const callers = new WeakMap<Request, Caller>();
  const userBuilder = (req: Request) => Promise.resolve(new CallerUser(callers.get(req)!));

  const authenticate = (req: Request, res: Response, next: NextFunction) => {
    const caller = tokens.find(bearerToken(req.header("authorization")) ?? "");
    if (!caller) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="baaaht-a2a"');
      res.status(401).json({ error: "a valid bearer token is required (an A2A caller token: baaaht gateway-token a2a-NAME)" });
      return;
    }
    callers.set(req, caller);
    next();
  };

  const app = express();
  app.disable("x-powered-by");
  const serveCard = (provider: (req: Request) => Promise<AgentCardType | undefined>) => {
    const router = express.Router({ mergeParams: true });
    router.use((req, res, next) =>
      legacyAgentCardRouter({ agentCardProvider: async () => (await provider(req)) ?? Promise.reject(new Error("no such agent")), cache: { maxAge: 0 } })(req, res, next),
    );
    router.get("/", async (req, res) => {
      const card = await provider(req);
      if (!card) {
        res.status(404).json({ error: `no agent named "${String((req.params as { name?: string }).name)}" is connected` });
        return;
      }
      res.setHeader("Cache-Control", "no-cache");
      res.json(AgentCard.toJSON(card));
    });
    return router;
  };
  app.use(versionFromQuery);
  app.use("/.well-known/agent-card.json", serveCard(() => cards.defaultCard()));
  app.use("/agents/:name/.well-known/agent-card.json", serveCard((req) => cards.card(String((req.params as { name?: string }).name))));

  const jsonRpc = jsonRpcHandler({ requestHandler: handler, userBuilder, legacyCompat: { enabled: true } });
  const agentFromPath = (req: Request, _res: Response, next: NextFunction) => {
    req.headers[PATH_AGENT_HEADER] = String(req.params.name);
    next();
  };
  app.use(PATHS.jsonRpc, authenticate, jsonRpcRequest, jsonRpc);
  const rest = restHandler({ requestHandler: handler, userBuilder, legacyCompat: { enabled: true } });
  app.use(PATHS.rest, authenticate, versionFromPath, rest);
  app.use("/agents/:name/jsonrpc", authenticate, agentFromPath, jsonRpcRequest, jsonRpc);
  // The base URLs themselves take JSON-RPC too, as clients (and the TCK) that post to the URL they were given expect.
  app.post("/", authenticate, jsonRpcRequest, jsonRpc);
  app.post("/agents/:name", authenticate, agentFromPath, jsonRpcRequest, jsonRpc);
  // ... and HTTP+JSON at the root as well (`/message:send`, `/{tenant}/tasks/{id}`, ...): every other path needs a token.
  app.use(authenticate, versionFromPath, rest);

  const host = options.host ?? DEFAULT_HOST;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? DEFAULT_PORT, host, () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  endpoints.baseUrl ||= `http://${hostPart}:${port}`;
  const grpcPort = options.grpcPort === undefined ? DEFAULT_GRPC_PORT : options.grpcPort;
  const grpc = grpcPort === null ? undefined : await startGrpcBinding({ host, port: grpcPort, handler, tokens }).catch(async (err: unknown) => {
    server.close();
    await own.close();
    throw new Error(`cannot serve gRPC on ${hostPart}:${grpcPort} (${err instanceof Error ? err.message : String(err)}): choose --grpc-port, or --no-grpc`);
  });
  // gRPC on the host the public URL names, so that a card fetched from elsewhere points there too.
  if (grpc) endpoints.grpc = `${new URL(endpoints.baseUrl).hostname || hostPart}:${grpc.port}`;
  return {
    url: endpoints.baseUrl,
    grpc: endpoints.grpc,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await grpc?.close();
      for (const session of sessions.values()) await (await session.catch(() => undefined))?.close();
      await own.close();
    },
  };
}
