import type * as http from "node:http";
import type * as http2 from "node:http2";
import { createContextKey, createContextValues, Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { WebService } from "@baaaht/proto/web/v1";
import type { StaticFile } from "./static-files.js";
import { sessionCookie, type WebAccess } from "./web-access.js";
import type { createWebService } from "./web-service.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** What the HTTP layer found out about an API request, for the interceptor. */
const requestFacts = createContextKey<{ signedIn: boolean; foreignOrigin: string | undefined }>(
  { signedIn: false, foreignOrigin: undefined },
  { description: "web request facts" },
);

/** Security headers of every answer: scripts and styles only from the page itself, no framing, no referrer. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const NOT_SIGNED_IN =
  "<!doctype html><title>baaaht web: sign in</title><p>Open the login link that <code>baaaht web</code> printed when it started.</p>";

/** Options of {@link createRequestHandler}. */
export interface RequestHandlerOptions {
  access: WebAccess;
  service: ReturnType<typeof createWebService>;
  files: Map<string, StaticFile>;
  tls: boolean;
}

/**
 * The web gateway's HTTP handler: `GET /login?token=...` trades a one-time
 * login token for the session cookie; `/web.v1.WebService/*` is the API
 * (Connect, gRPC-Web); everything else is the page. The API and the page
 * need the cookie, and the API refuses requests from another origin.
 */
export function createRequestHandler(options: RequestHandlerOptions): (req: Request, res: Response) => void {
  const { access, files, tls } = options;
  const requireSignIn: Interceptor = (next) => async (req) => {
    const facts = req.contextValues.get(requestFacts);
    if (!facts.signedIn) throw new ConnectError("sign in first: open the login link `baaaht web` printed", Code.Unauthenticated);
    if (facts.foreignOrigin !== undefined) {
      throw new ConnectError(`requests from ${facts.foreignOrigin} are not allowed`, Code.PermissionDenied);
    }
    return next(req);
  };
  const api = connectNodeAdapter({
    routes: (router) => router.service(WebService, options.service),
    interceptors: [requireSignIn],
    contextValues: (req) =>
      createContextValues().set(requestFacts, {
        signedIn: access.isSignedIn(req.headers.cookie),
        foreignOrigin: foreignOrigin(req.headers, tls),
      }),
  });

  return (req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? "/", "http://page");
    if (url.pathname.startsWith(`/${WebService.typeName}/`)) {
      (api as (req: Request, res: Response) => void)(req, res);
    } else if (url.pathname === "/login") {
      const cookie = req.method === "GET" ? access.redeem(url.searchParams.get("token") ?? "") : undefined;
      if (cookie === undefined) {
        send(res, 401, "text/html; charset=utf-8", "<!doctype html><title>baaaht web</title><p>This login link is unknown or was already used.</p>");
      } else {
        res.setHeader("set-cookie", sessionCookie(cookie, tls));
        res.setHeader("location", "/");
        send(res, 303, "text/plain; charset=utf-8", "signed in\n");
      }
    } else if (!access.isSignedIn(req.headers.cookie)) {
      send(res, 401, "text/html; charset=utf-8", NOT_SIGNED_IN);
    } else {
      const file = req.method === "GET" || req.method === "HEAD" ? files.get(url.pathname) : undefined;
      if (file === undefined) send(res, 404, "text/plain; charset=utf-8", "not found\n");
      else {
        res.setHeader("cache-control", url.pathname.startsWith("/assets/") ? "private, max-age=31536000, immutable" : "no-cache");
        send(res, 200, file.contentType, file.body);
      }
    }
  };
}

/** The Origin of a request when it is not the origin the request was sent to (undefined when same-origin or absent). */
function foreignOrigin(headers: http.IncomingHttpHeaders, tls: boolean): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const host = headers.host ?? headers[":authority"];
  return typeof host === "string" && origin === `${tls ? "https" : "http"}://${host}` ? undefined : origin;
}

function send(res: Response, status: number, contentType: string, body: string | Buffer): void {
  res.statusCode = status;
  res.setHeader("content-type", contentType);
  res.end(body);
}
