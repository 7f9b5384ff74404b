import { describe, expect, it } from "vitest";
import { TaskTable } from "./task-table.js";

describe("TaskTable.runningCount", () => {
  it("counts each taken slot once, over every agent", () => {
    const table = new TaskTable();
    expect(table.runningCount()).toBe(0);
    table.occupy("t1", "agent-a");
    table.occupy("t1", "agent-a"); // the same slot again
    table.occupy("t2", "agent-a");
    table.occupy("t3", "agent-b");
    expect([table.runningCount(), table.slotsTaken("agent-a"), table.slotsTaken("agent-b")]).toEqual([3, 2, 1]);
    expect(table.vacate("t1", "agent-b")).toBe(false); // not its agent
    expect(table.vacate("t1", "agent-a")).toBe(true);
    expect(table.vacate("t1", "agent-a")).toBe(false);
    expect(table.runningCount()).toBe(2);
    table.vacate("t2", "agent-a");
    table.vacate("t3", "agent-b");
    expect(table.runningCount()).toBe(0);
  });
});
