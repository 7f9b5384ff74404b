import { Option, type Command } from "commander";
import { DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_PORT } from "./defaults.js";
import { attachRemoteAgent } from "./attach.js";
import { startA2AServer } from "./server.js";

interface Globals {
  socket?: string;
  stateDir?: string;
}

const port = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be 0-65535 (got ${value})`);
  return n;
};

/** Defines `baaaht a2a serve` and `baaaht a2a attach` on the CLI's `a2a` command. */
export function defineA2ACommand(command: Command): Command {
  command
    .command("serve")
    .description("serve every agent on the orchestrator as an A2A agent (JSON-RPC, HTTP+JSON, gRPC, v0.3), until SIGINT or SIGTERM")
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--port <port>", "port of the HTTP bindings and cards (0 = any free one)", port("--port"), DEFAULT_PORT)
    .option("--grpc-port <port>", "port of the gRPC binding (0 = any free one)", port("--grpc-port"), DEFAULT_GRPC_PORT)
    .option("--no-grpc", "serve no gRPC binding")
    .option("--public-url <url>", "base URL the agent cards advertise (default http://HOST:PORT)")
    .action(async (opts: { host: string; port: number; grpcPort: number; grpc: boolean; publicUrl?: string }, sub: Command) => {
      const globals = sub.optsWithGlobals<Globals>();
      const server = await startA2AServer({
        host: opts.host,
        port: opts.port,
        grpcPort: opts.grpc ? opts.grpcPort : null,
        publicUrl: opts.publicUrl,
        socketPath: globals.socket,
        stateDir: globals.stateDir,
      });
      const grpc = server.grpc ? `gRPC on ${server.grpc}; ` : "";
      process.stdout.write(`A2A bridge listening on ${server.url} (${grpc}agent card: ${server.url}/.well-known/agent-card.json)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
    });
  command
    .command("attach")
    .description("register a proxy agent whose chat turns and tasks go to a remote A2A agent, until SIGINT or SIGTERM")
    .requiredOption("--card <url>", "the remote agent's base URL (its card is under .well-known/agent-card.json)")
    .option("--name <name>", "the name to register under (default: the card's name)")
    .addOption(new Option("--token <token>", "bearer token for the remote agent").env("BAAAHT_A2A_TOKEN"))
    .action(async (opts: { card: string; name?: string; token?: string }, sub: Command) => {
      const globals = sub.optsWithGlobals<Globals>();
      const agent = await attachRemoteAgent({ ...opts, socketPath: globals.socket, stateDir: globals.stateDir, handleSignals: true });
      agent.on("connected", ({ agentId }) => process.stdout.write(`attached ${opts.card} as agent ${agentId}\n`));
      await agent.run();
    });
  return command;
}
