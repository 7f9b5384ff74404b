import { durationMs } from "@bufbuild/protobuf/wkt";
import { ControlService, GetStatusResponseSchema, NodeState } from "@baaaht/proto/control/v1";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import type { CliContext } from "../cli-context.js";
import { protoJson } from "../proto-json.js";

/** `baaaht status`: identity, state, uptime, load and connected agents of the orchestrator. */
export async function status(ctx: CliContext): Promise<void> {
  const res = await ctx.client(ControlService).getStatus({});
  const agents = await ctx.client(OrchestratorService).listAgents({});
  const connectedAgents = agents.agents.length;
  const rows: [string, string][] = [
    ["identity", res.identity],
    ["state", NodeState[res.state]],
    ["uptime", formatDuration(res.uptime ? durationMs(res.uptime) : 0)],
    ["active tasks", String(res.activeTasks)],
    ["agents", `${connectedAgents} connected`],
    ...Object.entries(res.metadata).sort(([a], [b]) => a.localeCompare(b)),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const json = { ...(protoJson(GetStatusResponseSchema, res) as object), connectedAgents };
  ctx.print(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"), json);
}

function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
  ] as const;
  const lead = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`);
  return [...lead, `${s % 60}s`].join(" ");
}
