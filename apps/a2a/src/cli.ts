import type { Command } from "commander";
import { DEFAULT_HOST, DEFAULT_PORT } from "./defaults.js";
import { startA2AServer } from "./server.js";

interface Globals {
  socket?: string;
  stateDir?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be 0-65535 (got ${value})`);
  return n;
}

/** Defines `baaaht a2a serve` on the CLI's `a2a` command. */
export function defineA2ACommand(command: Command): Command {
  command
    .command("serve")
    .description("serve every agent on the orchestrator as an A2A agent (JSON-RPC, HTTP+JSON, v0.3), until SIGINT or SIGTERM")
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--port <port>", "port to listen on (0 = any free one)", port, DEFAULT_PORT)
    .option("--public-url <url>", "base URL the agent cards advertise (default http://HOST:PORT)")
    .action(async (opts: { host: string; port: number; publicUrl?: string }, sub: Command) => {
      const globals = sub.optsWithGlobals<Globals>();
      const server = await startA2AServer({ host: opts.host, port: opts.port, publicUrl: opts.publicUrl, socketPath: globals.socket, stateDir: globals.stateDir });
      process.stdout.write(`A2A bridge listening on ${server.url} (agent card: ${server.url}/.well-known/agent-card.json)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
    });
  return command;
}
