import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AgentSchema, TaskPriority, TaskState, TaskType } from "@baaaht/proto/agent/v1";
import { canRunType, capacityOf, taskTypeName } from "./task-capability.js";
import { TaskScheduler } from "./task-scheduler.js";
import { assertTransition, canTransition, isTerminal } from "./task-state.js";

const agent = (id: string, supportedTasks: string[], maxConcurrentTasks = 0) =>
  create(AgentSchema, { id, name: id, capabilities: { supportedTasks, maxConcurrentTasks } });

describe("task states", () => {
  it("allows only the documented transitions", () => {
    expect(canTransition(TaskState.PENDING, TaskState.QUEUED)).toBe(true);
    expect(canTransition(TaskState.QUEUED, TaskState.RUNNING)).toBe(true);
    expect(canTransition(TaskState.RUNNING, TaskState.QUEUED)).toBe(true); // retry
    expect(canTransition(TaskState.RUNNING, TaskState.TIMEOUT)).toBe(true);
    expect(canTransition(TaskState.PENDING, TaskState.RUNNING)).toBe(false);
    expect(canTransition(TaskState.QUEUED, TaskState.COMPLETED)).toBe(false);
    expect(canTransition(TaskState.QUEUED, TaskState.TIMEOUT)).toBe(false);
    for (const end of [TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMEOUT]) {
      expect(isTerminal(end)).toBe(true);
      for (const to of [TaskState.QUEUED, TaskState.RUNNING, TaskState.CANCELLED, TaskState.COMPLETED]) {
        expect(canTransition(end, to)).toBe(false);
      }
    }
    try {
      assertTransition("t1", TaskState.COMPLETED, TaskState.RUNNING);
      expect.unreachable();
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(Code.FailedPrecondition);
      expect(ConnectError.from(err).rawMessage).toBe("task t1 cannot go from COMPLETED to RUNNING");
    }
  });
});

describe("capabilities", () => {
  it("matches the short lowercase type name, TaskType names, or *", () => {
    expect(taskTypeName(TaskType.CODE_EXECUTION)).toBe("code_execution");
    expect(canRunType(agent("a", ["code_execution"]), TaskType.CODE_EXECUTION)).toBe(true);
    expect(canRunType(agent("a", ["CODE_EXECUTION"]), TaskType.CODE_EXECUTION)).toBe(true);
    expect(canRunType(agent("a", ["TASK_TYPE_CUSTOM"]), TaskType.CUSTOM)).toBe(true);
    expect(canRunType(agent("a", ["*"]), TaskType.NETWORK_REQUEST)).toBe(true);
    expect(canRunType(agent("a", ["chat"]), TaskType.CUSTOM)).toBe(false);
    expect(canRunType(create(AgentSchema, {}), TaskType.CUSTOM)).toBe(false);
    expect(capacityOf(agent("a", [], 0))).toBe(1);
    expect(capacityOf(agent("a", [], 4))).toBe(4);
  });
});

describe("TaskScheduler", () => {
  it("orders by priority (UNSPECIFIED as NORMAL), FIFO within one, and fills free slots only", () => {
    const s = new TaskScheduler();
    const priorities = [TaskPriority.LOW, TaskPriority.CRITICAL, TaskPriority.UNSPECIFIED, TaskPriority.NORMAL, TaskPriority.HIGH, TaskPriority.CRITICAL];
    priorities.forEach((priority, i) => s.enqueue({ id: `t${i}`, type: TaskType.CUSTOM, priority, seq: i + 1, pinnedAgentId: "" }));
    expect(s.ids()).toEqual(["t1", "t5", "t4", "t2", "t3", "t0"]);
    const a = agent("a", ["custom"], 2);
    expect(s.assign([{ agent: a, running: 1 }])).toEqual([{ taskId: "t1", agentId: "a" }]);
    expect(s.assign([{ agent: a, running: 0 }]).map((x) => x.taskId)).toEqual(["t5", "t4"]);
    expect(s.size).toBe(3);
  });

  it("skips tasks no free agent can run, honours pins, and balances by share of slots used", () => {
    const s = new TaskScheduler();
    s.enqueue({ id: "net", type: TaskType.NETWORK_REQUEST, priority: TaskPriority.CRITICAL, seq: 1, pinnedAgentId: "" });
    s.enqueue({ id: "pin", type: TaskType.CUSTOM, priority: TaskPriority.HIGH, seq: 2, pinnedAgentId: "b" });
    s.enqueue({ id: "c1", type: TaskType.CUSTOM, priority: TaskPriority.LOW, seq: 3, pinnedAgentId: "" });
    s.enqueue({ id: "c2", type: TaskType.CUSTOM, priority: TaskPriority.LOW, seq: 4, pinnedAgentId: "" });
    const a = agent("a", ["custom"], 4);
    const b = agent("b", ["custom"], 1);
    const out = s.assign([
      { agent: a, running: 0 },
      { agent: b, running: 0 },
    ]);
    expect(out).toEqual([
      { taskId: "pin", agentId: "b" },
      { taskId: "c1", agentId: "a" },
      { taskId: "c2", agentId: "a" },
    ]);
    expect(s.ids()).toEqual(["net"]);
    expect(s.has("net")).toBe(true);
    expect(s.remove("net")).toBe(true);
    expect(s.remove("net")).toBe(false);
  });
});
