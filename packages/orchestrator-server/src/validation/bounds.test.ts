import { readFileSync } from "node:fs";
import { create, type DescField, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { scalarZeroValue } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  AgentService,
  GetStatusRequestSchema,
  HeartbeatRequestSchema,
  RegisterRequestSchema,
  StreamAgentRequestSchema,
} from "@baaaht/proto/agent/v1";
import { ControlService } from "@baaaht/proto/control/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { CreateSessionRequestSchema, OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { checkBounds, FIELD_BOUNDS, listBound, mapBound } from "./bounds.js";

function failure(schema: DescMessage, init: Record<string, unknown>): string {
  try {
    checkBounds(schema, create(schema, init));
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    return (error as ConnectError).rawMessage;
  }
  return "no error";
}

const CONTRACT: readonly DescService[] = [OrchestratorService, AgentService, GatewayService, ControlService];

/** Every repeated or map field reachable from a request of the contract, with the path of fields that leads to it. */
function boundedFields(): { root: DescMessage; path: DescField[] }[] {
  const found: { root: DescMessage; path: DescField[] }[] = [];
  const walk = (root: DescMessage, message: DescMessage, path: DescField[], seen: Set<string>) => {
    for (const field of message.fields) {
      const at = [...path, field];
      if (field.fieldKind === "list" || field.fieldKind === "map") found.push({ root, path: at });
      if (field.fieldKind === "message" && !field.message.typeName.startsWith("google.") && !seen.has(field.message.typeName)) {
        walk(root, field.message, at, new Set([...seen, field.message.typeName]));
      }
    }
  };
  for (const service of CONTRACT) for (const method of service.methods) walk(method.input, method.input, [], new Set([method.input.typeName]));
  return found;
}

/** A message init that sets the field at the end of `path` to `leaf`. */
function initAt(path: DescField[], leaf: unknown): Record<string, unknown> {
  let value = leaf;
  for (const field of [...path].reverse()) {
    value = field.oneof ? { [field.oneof.localName]: { case: field.localName, value } } : { [field.localName]: value };
  }
  return value as Record<string, unknown>;
}

/** `n` entries for a repeated or map field. */
function entries(field: DescField, n: number): unknown {
  const one = (kind: "scalar" | "enum" | "message", scalar?: Parameters<typeof scalarZeroValue>[0]) =>
    kind === "message" ? {} : kind === "enum" ? 0 : scalar === 9 ? "x" : scalarZeroValue(scalar!, false);
  if (field.fieldKind === "list") return Array.from({ length: n }, () => one(field.listKind, field.scalar));
  if (field.fieldKind === "map") return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, one(field.mapKind, field.scalar)]));
  throw new Error("not a list or map");
}

describe("request bounds", () => {
  const fields = boundedFields();

  it("cover the repeated and map fields of the contract's requests", () => {
    const names = new Set(fields.map(({ path }) => `${path.at(-1)!.parent.typeName}.${path.at(-1)!.name}`));
    expect(names).toContain("agent.v1.AgentMetadata.labels");
    expect(names).toContain("agent.v1.AgentCapabilities.supported_tasks");
    expect(names).toContain("agent.v1.HeartbeatRequest.active_tasks");
    for (const name of Object.keys(FIELD_BOUNDS)) expect(names).toContain(name);
  });

  it("refuse one entry over the bound of every repeated and map field, naming its path, and accept the bound", () => {
    for (const { root, path } of fields) {
      const field = path.at(-1)!;
      const max = field.fieldKind === "list" ? listBound(field).maxEntries : field.fieldKind === "map" ? mapBound(field).maxEntries : 0;
      const name = path.map((f) => f.name).join(".");
      expect(failure(root, initAt(path, entries(field, max + 1))), `${root.typeName}: ${name}`).toBe(`${name} has more than ${max} entries`);
      expect(failure(root, initAt(path, entries(field, max))), `${root.typeName}: ${name}`).toBe("no error");
    }
  });

  it("bound Register and Heartbeat like every other request (issue 9)", () => {
    const labels = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "v"]));
    expect(failure(RegisterRequestSchema, { name: "a", metadata: { labels } })).toBe("metadata.labels has more than 64 entries");
    const tasks = Array.from({ length: 100_000 }, () => "custom");
    expect(failure(RegisterRequestSchema, { name: "a", capabilities: { supportedTasks: tasks } })).toBe(
      "capabilities.supported_tasks has more than 256 entries",
    );
    expect(failure(HeartbeatRequestSchema, { agentId: "a", activeTasks: tasks })).toBe("active_tasks has more than 1024 entries");
    expect(failure(HeartbeatRequestSchema, { agentId: "a", activeTasks: ["t 1"] })).toBe("active_tasks[0] must be printable ASCII without spaces");
  });

  it("apply the id rule to every id field, at any depth, without repeating the id", () => {
    expect(failure(GetStatusRequestSchema, { agentId: "x".repeat(20_000) })).toBe("agent_id is longer than 128 characters");
    expect(failure(GetStatusRequestSchema, { agentId: "a\nb" })).toBe("agent_id must be printable ASCII without spaces");
    expect(failure(GetStatusRequestSchema, { agentId: "" })).toBe("no error");
    const nested = { agentId: "a", payload: { case: "message", value: { payload: { case: "taskMessage", value: { taskId: "t".repeat(129) } } } } };
    expect(failure(StreamAgentRequestSchema, nested)).toBe("message.task_message.task_id is longer than 128 characters");
  });

  it("check map keys and values and string entries, quoting at most a prefix of a key", () => {
    const long = "k".repeat(100);
    expect(failure(CreateSessionRequestSchema, { metadata: { labels: { "": "v" } } })).toBe("metadata.labels has an empty key");
    expect(failure(CreateSessionRequestSchema, { metadata: { labels: { [long]: "v" } } })).toBe("no error");
    expect(failure(CreateSessionRequestSchema, { metadata: { labels: { ["k".repeat(129)]: "v" } } })).toBe(
      "metadata.labels has a key longer than 128 characters",
    );
    expect(failure(CreateSessionRequestSchema, { metadata: { labels: { [long]: "v".repeat(1025) } } })).toBe(
      `metadata.labels["${"k".repeat(64)}"... (100 characters)] is longer than 1024 characters`,
    );
    expect(failure(CreateSessionRequestSchema, { metadata: { tags: ["t".repeat(1025)] } })).toBe("metadata.tags[0] is longer than 1024 characters");
  });

  it("are the bounds docs/limits.md documents", () => {
    const doc = readFileSync(new URL("../../../../docs/limits.md", import.meta.url), "utf8");
    for (const name of Object.keys(FIELD_BOUNDS)) expect(doc).toContain(name);
  });
});
