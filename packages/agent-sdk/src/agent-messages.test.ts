import { create } from "@bufbuild/protobuf";
import { ControlCommand, ControlMessageSchema } from "@baaaht/proto/agent/v1";
import { describe, expect, it } from "vitest";
import { cancelTarget } from "./agent-messages.js";

const cancel = (init: Parameters<typeof create<typeof ControlMessageSchema>>[1]) =>
  cancelTarget(create(ControlMessageSchema, { command: ControlCommand.CANCEL, ...init }));

describe("cancelTarget", () => {
  it("reads the typed target, reason and force", () => {
    expect(cancel({ target: { case: "taskId", value: "t1" }, reason: "enough", force: true })).toEqual({
      taskId: "t1",
      messageId: "",
      reason: "enough",
      force: true,
    });
    expect(cancel({ target: { case: "messageId", value: "m1" } })).toEqual({ taskId: "", messageId: "m1", reason: undefined, force: false });
  });

  it("falls back to the older parameters keys, and lets a typed target win over them", () => {
    expect(cancel({ parameters: { task_id: "t2", reason: "timeout", force: "true" } })).toEqual({
      taskId: "t2",
      messageId: "",
      reason: "timeout",
      force: true,
    });
    expect(cancel({ parameters: { message_id: "m2" } })).toMatchObject({ taskId: "", messageId: "m2", force: false });
    expect(cancel({ target: { case: "messageId", value: "m3" }, parameters: { task_id: "stale" } })).toMatchObject({
      taskId: "",
      messageId: "m3",
    });
  });
});
