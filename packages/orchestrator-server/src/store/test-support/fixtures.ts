import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { TaskPriority, TaskSchema, TaskState, TaskType } from "@baaaht/proto/agent/v1";
import { Status } from "@baaaht/proto/common/v1";
import { EventSchema, EventType, MessageRole, MessageSchema, SessionSchema, SessionState } from "@baaaht/proto/orchestrator/v1";
import type { TaskRecord } from "../task-repository.js";

/** A session with every kind of field set, including inline messages (which the store drops). */
export const session = (id: string, over: { state?: SessionState; updatedAt?: Timestamp } = {}) =>
  create(SessionSchema, {
    id,
    state: SessionState.ACTIVE,
    status: Status.RUNNING,
    createdAt: timestampFromMs(1_000),
    updatedAt: timestampFromMs(2_000),
    metadata: { name: "n", labels: { team: "a" }, ownerId: "u1", tags: ["x"] },
    context: { currentTaskId: "t1", config: { idleTimeoutNs: 5n }, messages: [{ id: "inline", content: "not stored" }] },
    ...over,
  });

/** A user message. */
export const message = (id: string, content = id) => create(MessageSchema, { id, role: MessageRole.USER, content });

/** A task record, QUEUED unless told otherwise, created at `at` ms. */
export const taskRecord = (
  id: string,
  over: Partial<{ state: TaskState; agentId: string; sessionId: string; at: number; priority: TaskPriority }> = {},
): Omit<TaskRecord, "seq"> => ({
  task: create(TaskSchema, {
    id,
    state: over.state ?? TaskState.QUEUED,
    type: TaskType.CODE_EXECUTION,
    priority: over.priority ?? TaskPriority.NORMAL,
    agentId: over.agentId ?? "",
    sessionId: over.sessionId ?? "",
    createdAt: timestampFromMs(over.at ?? 1_000),
    config: { command: "echo", maxRetries: 2n },
  }),
  pinnedAgentId: "",
  submitter: "admin",
  attempts: 0,
});

/** Event number `n`, stamped `n` seconds after the epoch. */
export const event = (n: number, init: MessageInitShape<typeof EventSchema> = {}) =>
  create(EventSchema, {
    id: `e${n}`,
    type: EventType.SESSION_UPDATED,
    source: "sessions",
    timestamp: timestampFromMs(n * 1_000),
    data: { n: String(n) },
    ...init,
  });
