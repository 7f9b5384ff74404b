import { pino, type LevelWithSilent, type Logger } from "pino";
import { prettyLogOptions, resolveLogFormat, type LogFormat } from "@baaaht/transport";

/**
 * The orchestrator's logger when none is given: pino on stderr at `level`
 * (default `$BAAAHT_LOG_LEVEL`, then "info"), as JSON lines or pino-pretty's
 * one-line text ({@link resolveLogFormat}: pretty on a terminal unless told).
 * pino-pretty is loaded only for the pretty format.
 */
export async function createDefaultLogger(options: { level?: LevelWithSilent; format?: LogFormat } = {}): Promise<Logger> {
  const level = options.level ?? (process.env.BAAAHT_LOG_LEVEL as LevelWithSilent | undefined) ?? "info";
  if (resolveLogFormat(options.format) === "json") return pino({ level }, pino.destination(2));
  const { build } = await import("pino-pretty");
  return pino({ level }, build({ ...prettyLogOptions(process.stderr), destination: 2, sync: true }));
}
