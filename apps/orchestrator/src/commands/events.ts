import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { InvalidArgumentError, type Command } from "commander";
import {
  EventSchema,
  EventType,
  OrchestratorService,
  type Event,
  type SubscribeEventsRequestSchema,
} from "@baaaht/proto/orchestrator/v1";
import { onStopSignals } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";
import { ExitCode } from "../exit-codes.js";
import { protoJson } from "../proto-json.js";
import type { ClientAction } from "./tasks.js";

/**
 * Without --follow, `baaaht events` stops once no event arrived for this
 * long: the log is then taken as replayed (the server sends no "caught up"
 * marker): 300 ms.
 */
export const CAUGHT_UP_IDLE_MS = 300;

/** How long `baaaht events` without --follow waits for the first event (connection set-up included): 1 second. */
export const FIRST_EVENT_WAIT_MS = 1_000;

/** Options of `baaaht events`. */
export interface EventsOptions {
  follow?: boolean;
  since?: bigint;
  type?: EventType[];
  session?: string;
  source?: string;
}

/** Defines `command`, the `baaaht events` command (declared with its summary by cli.ts): its description, options and action. */
export function defineEventsCommand(command: Command, action: ClientAction): Command {
  return command
    .description(
      "print the event log, one line per event (#SEQ time type source session data), or JSON lines with --json. " +
        `Without --follow it replays the stored events after --since (default 0: all) and exits once none came for ${CAUGHT_UP_IDLE_MS} ms; ` +
        "with --follow it keeps printing live events (after replaying from --since when given) until Ctrl-C, " +
        "or until the orchestrator stops (exit 3)",
    )
    .option("-f, --follow", "keep printing live events")
    .option("--since <seq>", "replay the events after this sequence number", sequence)
    .option(
      "--type <type>",
      "only events of this type, e.g. task_completed or EVENT_TYPE_TASK_COMPLETED (repeatable, or comma-separated)",
      collectTypes,
    )
    .option("--session <id>", "only events of this orchestrator session")
    .option("--source <source>", 'only events from this source, e.g. "orchestrator"')
    .action(action((ctx, opts: EventsOptions) => events(ctx, opts)));
}

/**
 * The SubscribeEvents request: one --type filters on the server, several are
 * filtered by the command; the cursor is --since, else 0 (all kept events)
 * without --follow and unset (live only) with it.
 */
export function subscribeRequest(opts: EventsOptions): MessageInitShape<typeof SubscribeEventsRequestSchema> {
  const since = opts.since ?? (opts.follow ? undefined : 0n);
  return {
    filter: {
      type: opts.type?.length === 1 ? opts.type[0] : EventType.UNSPECIFIED,
      sessionId: opts.session ?? "",
      source: opts.source ?? "",
    },
    ...(since === undefined ? {} : { afterSequence: since }),
  };
}

async function events(ctx: CliContext, opts: EventsOptions): Promise<number> {
  const client = ctx.client(OrchestratorService);
  const controller = new AbortController();
  const wanted = new Set(opts.type ?? []);
  let timer: NodeJS.Timeout | undefined;
  const idle = (ms: number) => {
    clearTimeout(timer);
    if (!opts.follow) timer = setTimeout(() => controller.abort(), ms);
  };
  const disposeSignals = onStopSignals(
    () => controller.abort(),
    () => undefined,
  );
  idle(FIRST_EVENT_WAIT_MS);
  try {
    for await (const res of client.subscribeEvents(subscribeRequest(opts), { signal: controller.signal })) {
      idle(CAUGHT_UP_IDLE_MS);
      const event = res.event;
      if (event === undefined || (wanted.size > 1 && !wanted.has(event.type))) continue;
      process.stdout.write(`${ctx.json ? JSON.stringify(protoJson(EventSchema, event)) : formatEvent(event)}\n`);
    }
  } catch (err) {
    if (!(controller.signal.aborted && ConnectError.from(err).code === Code.Canceled)) throw err;
  } finally {
    clearTimeout(timer);
    disposeSignals();
  }
  if (opts.follow && !controller.signal.aborted) {
    // The orchestrator ended the stream: it stopped (a follower is never cut otherwise without an error).
    process.stderr.write(`baaaht: the orchestrator on ${ctx.socketPath} stopped: no more events\n`);
    return ExitCode.unavailable;
  }
  return ExitCode.ok;
}

/** One event as `#SEQ time type source session key=value ...` (session "-" when none). */
export function formatEvent(event: Event): string {
  const time = event.timestamp === undefined ? "-" : timestampDate(event.timestamp).toISOString();
  const data = Object.entries(event.data)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${/^[^\s"=]*$/.test(v) && v !== "" ? v : JSON.stringify(v)}`);
  return [
    `#${event.sequence}`,
    time,
    eventTypeName(event.type),
    event.source || "-",
    event.metadata?.sessionId || "-",
    ...data,
  ].join(" ");
}

/** The short lowercase name of an event type, e.g. "task_completed". */
export function eventTypeName(type: EventType): string {
  return (EventType[type] ?? String(type)).toLowerCase();
}

/** An event type from `task_completed`, `TASK_COMPLETED` or `EVENT_TYPE_TASK_COMPLETED`. */
export function parseEventType(value: string): EventType {
  const upper = value.trim().toUpperCase();
  const key = upper.startsWith("EVENT_TYPE_") ? upper.slice("EVENT_TYPE_".length) : upper;
  const n = (EventType as unknown as Record<string, number | string>)[key];
  if (typeof n !== "number" || key === "UNSPECIFIED") {
    throw new InvalidArgumentError(`unknown event type "${value}" (e.g. task_completed, session_created, agent_registered)`);
  }
  return n;
}

function collectTypes(value: string, all: EventType[] = []): EventType[] {
  const more = value.split(",").filter((v) => v.trim() !== "").map(parseEventType);
  return [...new Set([...all, ...more])];
}

function sequence(value: string): bigint {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("expected a sequence number >= 0");
  return BigInt(value.trim());
}
