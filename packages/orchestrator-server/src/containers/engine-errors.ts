import { Code, ConnectError } from "@connectrpc/connect";
import { domainError, ErrorReason } from "../errors/domain-error.js";

/** An error of the engine's HTTP API as dockerode reports it. */
interface EngineHttpError {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | string | null;
  message?: string;
}

/** The engine's own message of an API error (its JSON `message`), else the error's. */
export function engineMessage(error: unknown): string {
  const e = error as EngineHttpError;
  if (e?.json && typeof e.json === "object" && typeof e.json.message === "string") return e.json.message;
  if (typeof e?.json === "string" && e.json.trim() !== "") return e.json.trim();
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status the engine answered with, undefined when it did not answer. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as EngineHttpError)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * True when the error says the engine could not be reached (no socket, no
 * listener, connection cut, no answer in time) rather than that it answered
 * with an error.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof ConnectError) return false;
  if (engineStatus(error) !== undefined) return false;
  const code = (error as EngineHttpError)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true;
  return /socket hang up|timed? ?out|ECONNRESET|EPIPE/i.test(error instanceof Error ? error.message : "");
}

/** FAILED_PRECONDITION (ENGINE_UNAVAILABLE) naming every endpoint tried and why each failed. */
export function engineUnavailable(tried: readonly { url: string; why: string }[]): ConnectError {
  const list = tried.map((t) => `${t.url} (${t.why})`).join(", ");
  return domainError(
    Code.FailedPrecondition,
    ErrorReason.ENGINE_UNAVAILABLE,
    `no container engine is reachable: tried ${list}; start Docker or Podman's API service, or point --engine / DOCKER_HOST at one`,
    { endpoints: tried.map((t) => t.url).join(",") },
  );
}

/** NOT_FOUND (CONTAINER_NOT_FOUND) for a container id. */
export function containerNotFound(id: string): ConnectError {
  return domainError(Code.NotFound, ErrorReason.CONTAINER_NOT_FOUND, `container ${id.slice(0, 128)} not found`, { container_id: id.slice(0, 128) });
}

/** Why a connection failed, in a few words: the error code or message. */
export function connectionFailure(error: unknown): string {
  const code = (error as EngineHttpError)?.code;
  return typeof code === "string" && code !== "" ? code : engineMessage(error);
}
