/**
 * The LLM agent: a chat agent answering with a model behind any
 * OpenAI-compatible chat-completions endpoint (llama.cpp server, Ollama,
 * vLLM, hosted APIs). Start an orchestrator, then
 * `BAAAHT_LLM_BASE_URL=http://127.0.0.1:11434/v1 BAAAHT_LLM_MODEL=llama3.2 pnpm llm-agent`.
 * With `--sandbox-image IMAGE` each session gets a sandbox container of IMAGE
 * and the model the `run_shell` tool running commands in it.
 */
import { createAgent } from "@baaaht/agent-sdk";
import { ConfigError, parseLlmAgentArgs, type LlmAgentSettings } from "./config.js";
import { createLlmHandler } from "./llm-handler.js";

let settings: LlmAgentSettings;
try {
  settings = parseLlmAgentArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`llm-agent: ${err.message}\n`);
  process.exit(2);
}

const { endpoint } = settings;
const agent = createAgent({
  name: settings.name,
  version: "0.1.0",
  description: `answers with ${endpoint.model} at ${endpoint.baseUrl}`,
  labels: { chat: "true", model: endpoint.model },
  socketPath: settings.socketPath,
  stateDir: settings.stateDir,
  sandbox: settings.sandboxImage === undefined ? undefined : { image: settings.sandboxImage },
  onMessage: createLlmHandler({
    endpoint,
    systemPrompt: settings.systemPrompt,
    runShell: settings.sandboxImage !== undefined,
  }),
});

agent.on("connected", ({ agentId }) =>
  process.stdout.write(`llm agent connected (agent id ${agentId}): ${endpoint.model} at ${endpoint.baseUrl}\n`),
);

try {
  await agent.run();
} catch (err) {
  process.stderr.write(`llm-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
