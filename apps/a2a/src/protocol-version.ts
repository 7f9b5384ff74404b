import type { NextFunction, Request, Response } from "express";

/** The A2A version header (service parameter), as Node lower-cases it. */
export const VERSION_HEADER = "a2a-version";
const VERSION_PARAM = "A2A-Version";

/**
 * The A2A 1.0 spec lets a client name its version as a request parameter instead of the
 * `A2A-Version` header; the SDK reads only the header, so the parameter is copied into it.
 */
export function versionFromQuery(req: Request, _res: Response, next: NextFunction): void {
  const fromQuery = req.query[VERSION_PARAM];
  if (!req.headers[VERSION_HEADER] && typeof fromQuery === "string" && fromQuery) req.headers[VERSION_HEADER] = fromQuery;
  next();
}

/**
 * The version of a JSON-RPC method name: 1.0 methods are `SendMessage`, `GetTask`, ...;
 * v0.3 methods are `message/send`, `tasks/get`, ...; the two sets never overlap.
 */
export function versionOfMethod(method: string): "1.0" | undefined {
  return /^[A-Z][A-Za-z]+$/.test(method) ? "1.0" : undefined;
}

/**
 * An HTTP+JSON request that names no A2A version is a v0.3 request by the spec, unless its
 * path exists only in 1.0: v0.3 paths start with `/v1/` (`/v1/message:send`), 1.0 paths do
 * not (`/message:send`, `/{tenant}/tasks/{id}`); such a request is served as 1.0.
 */
export function versionFromPath(req: Request, _res: Response, next: NextFunction): void {
  if (!req.headers[VERSION_HEADER] && !req.path.startsWith("/v1/")) req.headers[VERSION_HEADER] = "1.0";
  next();
}
