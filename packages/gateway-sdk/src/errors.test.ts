import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { describe, expect, it } from "vitest";
import { ErrorReason } from "./error-reason.js";
import {
  AnswerFailedError,
  answerError,
  CancelledError,
  ContainerEngineUnavailableError,
  GatewayError,
  NoAgentError,
  NotFoundError,
  OrchestratorUnavailableError,
  PermissionDeniedError,
  SessionClosedError,
  toGatewayError,
  UnauthenticatedError,
} from "./errors.js";
import { serverError } from "./test-support/server-error.js";

describe("toGatewayError", () => {
  it.each([
    [Code.FailedPrecondition, ErrorReason.NO_AGENT, NoAgentError],
    [Code.Unavailable, ErrorReason.NO_AGENT, NoAgentError],
    [Code.Unavailable, ErrorReason.DRAINING, OrchestratorUnavailableError],
    [Code.FailedPrecondition, ErrorReason.SESSION_CLOSED, SessionClosedError],
    [Code.NotFound, ErrorReason.SESSION_NOT_FOUND, NotFoundError],
    [Code.Canceled, ErrorReason.CANCELLED, CancelledError],
    [Code.ResourceExhausted, ErrorReason.SESSION_LIMIT, GatewayError],
    [Code.AlreadyExists, ErrorReason.ALREADY_EXISTS, GatewayError],
    [Code.FailedPrecondition, ErrorReason.ENGINE_UNAVAILABLE, ContainerEngineUnavailableError],
    [Code.FailedPrecondition, ErrorReason.CONTAINER_NOT_RUNNING, GatewayError],
    [Code.NotFound, ErrorReason.CONTAINER_NOT_FOUND, NotFoundError],
    [Code.PermissionDenied, ErrorReason.POLICY_DENIED, PermissionDeniedError],
  ])("classifies code %s with reason %s by the ErrorInfo detail", (code, reason, type) => {
    const cause = serverError(code, reason, "words that do not matter");
    const err = toGatewayError(cause);
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, reason, cause, message: "words that do not matter", name: type.name });
  });

  it.each([
    [Code.NotFound, NotFoundError],
    [Code.PermissionDenied, PermissionDeniedError],
    [Code.Unauthenticated, UnauthenticatedError],
    [Code.Canceled, CancelledError],
    [Code.Unavailable, OrchestratorUnavailableError],
    [Code.FailedPrecondition, GatewayError],
    [Code.Internal, GatewayError],
  ])("classifies code %s without a detail by its code", (code, type) => {
    const err = toGatewayError(new ConnectError("boom", code));
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, reason: "", name: type.name });
  });

  it("never reads the message: 'no agent' words without a detail are not NoAgentError", () => {
    for (const code of [Code.FailedPrecondition, Code.Unavailable]) {
      const err = toGatewayError(new ConnectError("no chat-capable agent is registered", code));
      expect(err).not.toBeInstanceOf(NoAgentError);
      expect(err.reason).toBe("");
    }
  });

  it("ignores reasons of other domains and keeps unknown reasons of ours", () => {
    const info = create(ErrorInfoSchema, { reason: ErrorReason.NO_AGENT, domain: "example.com" });
    const foreign = new ConnectError("x", Code.FailedPrecondition, undefined, [{ desc: ErrorInfoSchema, value: info }]);
    expect(toGatewayError(foreign)).toMatchObject({ name: "GatewayError", reason: "" });
    const unknown = toGatewayError(serverError(Code.Aborted, "SOMETHING_NEW" as ErrorReason, "x"));
    expect(unknown).toMatchObject({ name: "GatewayError", code: Code.Aborted, reason: "SOMETHING_NEW" });
  });

  it("returns a GatewayError as is, and wraps other values as UNKNOWN", () => {
    const err = new NotFoundError("x", Code.NotFound);
    expect(toGatewayError(err)).toBe(err);
    expect(toGatewayError(new Error("odd"))).toMatchObject({ code: Code.Unknown, message: "odd", reason: "" });
  });
});

describe("answerError", () => {
  it("classifies by the reason: NO_AGENT, CANCELLED, failures, and no reason", () => {
    expect(answerError(ErrorReason.NO_AGENT, "nobody")).toMatchObject({ name: "NoAgentError", code: Code.FailedPrecondition, reason: "NO_AGENT" });
    expect(answerError(ErrorReason.CANCELLED, "stop")).toMatchObject({ name: "CancelledError", code: Code.Canceled });
    for (const reason of [ErrorReason.AGENT_LOST, ErrorReason.AGENT_ERROR, ErrorReason.INTERRUPTED]) {
      expect(answerError(reason, "x")).toMatchObject({ name: "AnswerFailedError", code: Code.Aborted, reason });
    }
    expect(answerError("", "")).toMatchObject({ name: "AnswerFailedError", code: Code.Aborted, message: "the answer failed" });
  });

  it("never reads the message", () => {
    expect(answerError("", "no chat-capable agent is connected")).toBeInstanceOf(AnswerFailedError);
    expect(answerError("", "cancelled")).toBeInstanceOf(AnswerFailedError);
    expect(answerError(ErrorReason.AGENT_ERROR, "aborted")).not.toBeInstanceOf(CancelledError);
  });
});
