import { readFileSync } from "node:fs";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { fileURLToPath } from "node:url";
import { ChatHub } from "./chat-hub.js";
import { createCleartextServer } from "./cleartext-listener.js";
import { listenOptionsProblem, originOf, type ListenOptions } from "./listen-options.js";
import { OrchestratorLink, type OrchestratorAddress } from "./orchestrator-link.js";
import { createRequestHandler } from "./request-handler.js";
import { loadStaticFiles } from "./static-files.js";
import { WebAccess } from "./web-access.js";
import { createWebService } from "./web-service.js";

/** Options of {@link startWebGateway}. */
export interface WebGatewayOptions extends ListenOptions, OrchestratorAddress {
  /** The built page. Defaults to this package's dist/page. */
  pageDir?: string;
}

/** A running web gateway. */
export interface WebGateway {
  /** The page's address, e.g. http://127.0.0.1:8788 */
  readonly url: string;
  /** The one-time link that signs a browser in (`<url>/login?token=...`). */
  readonly loginUrl: string;
  /** Stops serving, ends open streams, detaches from the chats (they stay open). */
  close(): Promise<void>;
}

/** Thrown for listen options that are refused (a public bind without TLS, ...). */
export class ListenOptionsError extends Error {}

const PAGE_DIR = fileURLToPath(new URL("../page", import.meta.url));

/** Starts the web gateway: the page and its API on `host:port`, the orchestrator on its socket. */
export async function startWebGateway(options: WebGatewayOptions): Promise<WebGateway> {
  const problem = listenOptionsProblem(options);
  if (problem !== undefined) throw new ListenOptionsError(problem);
  const files = loadStaticFiles(options.pageDir ?? PAGE_DIR);
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined;
  const link = await OrchestratorLink.open(options);
  const hub = new ChatHub(link.gateway);
  const access = new WebAccess();
  const handler = createRequestHandler({ access, service: createWebService(link, hub), files, tls });

  const server: net.Server = tls
    ? http2.createSecureServer(
        { cert: readFileSync(options.tlsCert as string), key: readFileSync(options.tlsKey as string), allowHTTP1: true },
        handler,
      )
    : createCleartextServer(handler);
  const sockets = new Set<net.Socket>();
  server.on(tls ? "secureConnection" : "connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  const url = originOf(options.host, address.port, tls);
  return {
    url,
    loginUrl: `${url}/login?token=${access.issueLoginToken()}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await hub.close();
      await link.close();
    },
  };
}
