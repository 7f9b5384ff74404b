import express, { type NextFunction, type Request, type Response } from "express";
import { VERSION_HEADER, versionOfMethod } from "./protocol-version.js";

/** JSON-RPC 2.0 error codes (section 5.1) checked before the SDK sees a request. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

const parseJson = express.json();

type Id = string | number | null;

function reply(res: Response, id: Id, code: number, message: string): void {
  res.status(200).json({ jsonrpc: "2.0", id, error: { code, message } });
}

/** What is wrong with a request object's envelope (JSON-RPC 2.0 section 4), or "" when nothing is. */
function envelopeFault(body: Record<string, unknown>): string {
  if (body.jsonrpc !== "2.0") return 'jsonrpc must be "2.0"';
  if (typeof body.method !== "string" || body.method === "") return "method must be a non-empty string";
  if ("id" in body && body.id !== null && typeof body.id !== "string" && typeof body.id !== "number") return "id must be a string, a number or null";
  if ("params" in body && (typeof body.params !== "object" || body.params === null)) return "params must be an object";
  return "";
}

/**
 * Checks a JSON-RPC request before the SDK's handler takes it (which then finds the body
 * parsed): malformed JSON is a parse error, a request object that breaks JSON-RPC 2.0 is an
 * invalid request (the SDK would answer some of these "invalid params"). A request naming no
 * A2A version is a v0.3 request by the spec, unless its method exists only in 1.0: it is then
 * served as 1.0 rather than answered "method not found".
 */
export function jsonRpcRequest(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== "POST" || !req.is("application/json")) return next(); // the SDK answers those
  parseJson(req, res, (err?: unknown) => {
    if (err instanceof SyntaxError) return reply(res, null, PARSE_ERROR, "Invalid JSON payload.");
    if (err) return next(err);
    const body: unknown = req.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return reply(res, null, INVALID_REQUEST, Array.isArray(body) ? "batch requests are not supported" : "the body must be a JSON-RPC request object");
    }
    const request = body as Record<string, unknown>;
    const fault = envelopeFault(request);
    if (fault) {
      const id = typeof request.id === "string" || typeof request.id === "number" ? request.id : null;
      return reply(res, id, INVALID_REQUEST, `Invalid Request: ${fault}`);
    }
    const version = versionOfMethod(request.method as string);
    if (!req.headers[VERSION_HEADER] && version) req.headers[VERSION_HEADER] = version;
    next();
  });
}
