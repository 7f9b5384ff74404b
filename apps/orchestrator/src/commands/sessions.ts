import { toJson } from "@bufbuild/protobuf";
import { InvalidArgumentError, type Command } from "commander";
import { MessageRole, OrchestratorService, SessionSchema, SessionState, type Session } from "@baaaht/proto/orchestrator/v1";
import type { CliContext } from "../cli-context.js";
import { table, time } from "../table.js";
import { transcriptLine } from "./chat-output.js";
import type { ClientAction } from "./tasks.js";

/** Options of `baaaht sessions list`. */
export interface ListSessionsOptions {
  /** Only sessions in this state; defaults to every open one (not CLOSED). */
  state?: SessionState;
  /** Also list CLOSED sessions. */
  all?: boolean;
}

/** How many of the latest messages `sessions show` prints. */
const SHOWN_MESSAGES = 10;

/** Adds `list|show|close` to `sessions`, the `baaaht sessions` command (declared with its description by cli.ts). */
export function defineSessionsCommand(sessions: Command, action: ClientAction): Command {
  sessions
    .command("list")
    .description("list the open sessions, oldest first: id, state, created, messages, name, agent (a table, or JSON with --json)")
    .option("--state <state>", "only sessions in this state (active, idle, closing, closed)", parseSessionState)
    .option("--all", "also list closed sessions")
    .action(action((ctx, opts: ListSessionsOptions) => listSessions(ctx, opts)));
  sessions
    .command("show <id>")
    .description("show one session (either of its ids) with its latest messages")
    .action(action((ctx, id: string) => showSession(ctx, id)));
  sessions
    .command("close <id>")
    .description("close a session (either of its ids): its streams end, its tasks are cancelled (closing a closed one is not an error)")
    .option("--reason <text>", "why", "closed with baaaht sessions close")
    .action(action((ctx, id: string, opts: { reason: string }) => closeSession(ctx, id, opts.reason)));
  return sessions;
}

function parseSessionState(value: string): SessionState {
  const state = SessionState[value.toUpperCase() as keyof typeof SessionState];
  if (typeof state !== "number" || state === SessionState.UNSPECIFIED) {
    throw new InvalidArgumentError("expected active, idle, initializing, closing or closed");
  }
  return state;
}

/** The names of the agents the orchestrator knows, by id. */
async function agentNames(ctx: CliContext): Promise<Map<string, string>> {
  const res = await ctx.client(OrchestratorService).listAgents({ includeDisconnected: true });
  return new Map(res.agents.map((a) => [a.id, a.name]));
}

const agentOf = (session: Session, names: ReadonlyMap<string, string>): string =>
  session.agentId === "" ? "-" : (names.get(session.agentId) ?? session.agentId);

async function listSessions(ctx: CliContext, opts: ListSessionsOptions): Promise<void> {
  const client = ctx.client(OrchestratorService);
  const found: Session[] = [];
  let pageToken = "";
  do {
    const res = await client.listSessions({ filter: { state: opts.state ?? SessionState.UNSPECIFIED }, pageSize: 500, pageToken });
    found.push(...res.sessions);
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  const shown = opts.all || opts.state !== undefined ? found : found.filter((s) => s.state !== SessionState.CLOSED);
  const names = await agentNames(ctx);
  // prettier-ignore
  const rows = shown.map((s) => [s.id, SessionState[s.state] ?? "", time(s.createdAt), String(s.messageCount), s.metadata?.name || "-", agentOf(s, names)]);
  const human = shown.length === 0 ? "no sessions" : table(["ID", "STATE", "CREATED", "MESSAGES", "NAME", "AGENT"], rows);
  ctx.print(human, shown.map((s) => ({ ...(toJson(SessionSchema, s) as object), agentName: agentOf(s, names) })));
}

async function showSession(ctx: CliContext, id: string): Promise<void> {
  const res = await ctx.client(OrchestratorService).getSession({ sessionId: id });
  const session = res.session;
  if (session === undefined) throw new Error(`GetSession returned no session for ${id}`);
  const names = await agentNames(ctx);
  const messages = session.context?.messages ?? [];
  const rows: [string, string][] = [
    ["id", session.id],
    ["name", session.metadata?.name || "-"],
    ["state", SessionState[session.state] ?? ""],
    ["created", time(session.createdAt)],
    ["updated", time(session.updatedAt)],
    ["expires", time(session.expiresAt)],
    ["agent", agentOf(session, names)],
    ["messages", String(session.messageCount)],
    ["containers", session.containerIds.join(", ") || "-"],
  ];
  const latest = messages.slice(-SHOWN_MESSAGES).map((m) =>
    transcriptLine({
      role: m.role === MessageRole.USER ? "user" : m.role === MessageRole.ASSISTANT ? "assistant" : "system",
      content: m.content,
      agent: m.agent,
    }),
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  const human = [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ...(latest.length > 0 ? ["", ...latest] : [])].join("\n");
  ctx.print(human, { ...(toJson(SessionSchema, session) as object), agentName: agentOf(session, names) });
}

async function closeSession(ctx: CliContext, id: string, reason: string): Promise<void> {
  const res = await ctx.client(OrchestratorService).closeSession({ sessionId: id, reason });
  ctx.print(`session ${res.sessionId} ${SessionState[res.state]?.toLowerCase() ?? "closed"}`, { sessionId: res.sessionId, state: SessionState[res.state] });
}
