import { InvalidArgumentError, Option, type Command } from "commander";
import { resolveSocketPath, resolveStateDir } from "@baaaht/transport";
import { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT } from "./listen-options.js";
import { ListenOptionsError, startWebGateway } from "./web-gateway.js";

/** The options of `baaaht web` (with the CLI's global ones). */
interface WebCommandOptions {
  socket?: string;
  stateDir?: string;
  json?: boolean;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  insecurePublic?: boolean;
}

/** Exit code of a refused command line, as for every `baaaht` command. */
const USAGE = 2;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
}

/**
 * Defines `baaaht web` on `command`: serves the chat page and its API until
 * SIGINT or SIGTERM, and prints the page's address and the one-time login
 * link (as JSON with --json).
 */
export function defineWebCommand(command: Command): Command {
  return command
    .addOption(new Option("--host <address>", "address to listen on").default(DEFAULT_WEB_HOST).env("BAAAHT_WEB_HOST"))
    .addOption(new Option("--port <n>", "TCP port (0: any free one)").argParser(port).default(DEFAULT_WEB_PORT).env("BAAAHT_WEB_PORT"))
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--insecure-public", "allow listening on a non-loopback address without TLS")
    .action(async (_opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<WebCommandOptions>();
      let gateway;
      try {
        gateway = await startWebGateway({
          host: opts.host,
          port: opts.port,
          tlsCert: opts.tlsCert,
          tlsKey: opts.tlsKey,
          insecurePublic: opts.insecurePublic,
          socketPath: resolveSocketPath(opts.socket),
          stateDir: resolveStateDir(opts.stateDir),
        });
      } catch (err) {
        if (!(err instanceof ListenOptionsError)) throw err;
        process.stderr.write(`baaaht: ${err.message}\n`);
        process.exitCode = USAGE;
        return;
      }
      const { url, loginUrl } = gateway;
      process.stdout.write(
        opts.json === true ? `${JSON.stringify({ url, loginUrl })}\n` : `web chat on ${url}\nsign in: ${loginUrl}\n`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await gateway.close();
    });
}
