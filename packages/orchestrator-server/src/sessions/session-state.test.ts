import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { Status } from "@baaaht/proto/common/v1";
import { SessionSchema, SessionState as S } from "@baaaht/proto/orchestrator/v1";
import { canTransition, transition } from "./session-state.js";

describe("session state machine", () => {
  const legal: [S, S][] = [
    [S.INITIALIZING, S.ACTIVE],
    [S.INITIALIZING, S.CLOSING],
    [S.ACTIVE, S.IDLE],
    [S.IDLE, S.ACTIVE],
    [S.ACTIVE, S.CLOSING],
    [S.IDLE, S.CLOSING],
    [S.CLOSING, S.CLOSED],
  ];
  const all = [S.UNSPECIFIED, S.INITIALIZING, S.ACTIVE, S.IDLE, S.CLOSING, S.CLOSED];

  it("allows exactly INITIALIZING -> ACTIVE <-> IDLE -> CLOSING -> CLOSED", () => {
    for (const from of all) {
      for (const to of all) {
        expect(canTransition(from, to), `${S[from]} -> ${S[to]}`).toBe(legal.some(([f, t]) => f === from && t === to));
      }
    }
  });

  it("sets the matching status and refuses illegal moves with FAILED_PRECONDITION", () => {
    const session = create(SessionSchema, { id: "s", state: S.INITIALIZING });
    transition(session, S.ACTIVE);
    expect(session.status).toBe(Status.RUNNING);
    transition(session, S.CLOSING);
    expect(session.status).toBe(Status.STOPPING);
    transition(session, S.CLOSED);
    expect(session.status).toBe(Status.STOPPED);
    let error: unknown;
    try {
      transition(session, S.ACTIVE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).message).toMatch(/session s cannot go from CLOSED to ACTIVE/);
  });
});
