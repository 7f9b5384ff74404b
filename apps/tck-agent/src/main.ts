/**
 * The TCK agent: a chat agent for running the official A2A TCK against
 * `baaaht a2a serve`. It answers "tck-agent received: <your words>", and
 * keeps the answer going for 2 × TCK_STREAMING_TIMEOUT when the A2A message
 * id has one of the TCK's long-running prefixes. See the README.
 */
import { createAgent, createJsonLogger, MissingTokenError } from "@baaaht/agent-sdk";
import { parseTckAgentArgs, USAGE_EXIT_CODE } from "./cli-options.js";
import { createTckHandler } from "./tck-handler.js";

const settings = parseTckAgentArgs(process.argv.slice(2));
const agent = createAgent({
  name: settings.name,
  version: "0.1.0",
  description: "answers as the A2A TCK's message-id prefixes ask (for running the TCK against the A2A bridge)",
  labels: { chat: "true" },
  socketPath: settings.socketPath,
  stateDir: settings.stateDir,
  logger: createJsonLogger({ base: { name: settings.name }, format: settings.logFormat }),
  onMessage: createTckHandler({ streamingTimeoutS: settings.streamingTimeoutS }),
});

agent.on("connected", ({ agentId }) => process.stdout.write(`tck agent connected (agent id ${agentId})\n`));

try {
  await agent.run();
} catch (err) {
  process.stderr.write(`tck-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof MissingTokenError ? USAGE_EXIT_CODE : 1;
}
