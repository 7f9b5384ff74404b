/**
 * The echo agent: a chat agent answering "echo: <your words>", streamed one
 * word per chunk, that also runs "custom" `countdown` tasks. With
 * `--sandbox-image IMAGE`, a message "/sh COMMAND" runs COMMAND in the
 * session's sandbox container and streams its output. Start an
 * orchestrator, then `pnpm echo-agent`.
 */
import { createAgent, createJsonLogger, MissingTokenError } from "@baaaht/agent-sdk";
import { parseEchoAgentArgs, USAGE_EXIT_CODE } from "./cli-options.js";
import { countdownTask } from "./countdown-task.js";
import { createEchoHandler } from "./echo-handler.js";

const settings = parseEchoAgentArgs(process.argv.slice(2));
const agent = createAgent({
  name: settings.name,
  version: "0.1.0",
  description: "echoes the user's words back, one word per chunk; runs countdown tasks",
  labels: { chat: "true" },
  capabilities: { maxConcurrentTasks: 4 },
  socketPath: settings.socketPath,
  stateDir: settings.stateDir,
  logger: createJsonLogger({ base: { name: settings.name }, format: settings.logFormat }),
  onMessage: createEchoHandler({ delayMs: settings.delayMs }),
  taskTypes: ["custom"],
  onTask: countdownTask,
  // One container per session for "/sh" messages, created on first use and removed with the session.
  sandbox: settings.sandboxImage === undefined ? undefined : { image: settings.sandboxImage },
});

agent.on("connected", ({ agentId }) => process.stdout.write(`echo agent connected (agent id ${agentId})\n`));

try {
  await agent.run();
} catch (err) {
  process.stderr.write(`echo-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  // No token is a configuration error (like a bad flag); anything else is the orchestrator refusing the agent.
  process.exitCode = err instanceof MissingTokenError ? USAGE_EXIT_CODE : 1;
}
