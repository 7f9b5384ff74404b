import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  AnswerFailedError,
  answerError,
  CancelledError,
  GatewayError,
  NoAgentError,
  NotFoundError,
  OrchestratorUnavailableError,
  PermissionDeniedError,
  toGatewayError,
  UnauthenticatedError,
} from "./errors.js";

describe("toGatewayError", () => {
  it.each([
    [Code.NotFound, "session x not found", NotFoundError],
    [Code.PermissionDenied, "not your session", PermissionDeniedError],
    [Code.Unauthenticated, "unknown token", UnauthenticatedError],
    [Code.Canceled, "cancelled", CancelledError],
    [Code.Unavailable, "no orchestrator is listening on /tmp/x.sock (ENOENT)", OrchestratorUnavailableError],
    [Code.Unavailable, "the node is draining", OrchestratorUnavailableError],
    [Code.Unavailable, "no agent can take the message now", NoAgentError],
    [Code.FailedPrecondition, "no chat-capable agent is registered", NoAgentError],
    [Code.FailedPrecondition, "session is closed", GatewayError],
    [Code.Internal, "boom", GatewayError],
  ])("maps code %s %j", (code, message, type) => {
    const cause = new ConnectError(message, code);
    const err = toGatewayError(cause);
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, message, cause, name: type.name });
  });

  it("returns a GatewayError as is, and wraps other values as UNKNOWN", () => {
    const err = new NotFoundError("x", Code.NotFound);
    expect(toGatewayError(err)).toBe(err);
    expect(toGatewayError(new Error("odd"))).toMatchObject({ code: Code.Unknown, message: "odd" });
  });
});

describe("answerError", () => {
  it("tells no agent, cancelled and failed answers apart", () => {
    expect(answerError("no chat-capable agent is connected")).toBeInstanceOf(NoAgentError);
    expect(answerError("cancelled")).toBeInstanceOf(CancelledError);
    expect(answerError("agent echo went away: heartbeat missed")).toBeInstanceOf(AnswerFailedError);
    expect(answerError("")).toMatchObject({ code: Code.Aborted, message: "the answer failed" });
  });
});
