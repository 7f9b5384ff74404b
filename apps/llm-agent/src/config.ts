import { Command, Option, type CommanderError } from "commander";
import { DEFAULT_IDLE_TIMEOUT_MS, type EndpointConfig } from "./chat-completion.js";

/** The settings of the llm-agent command. */
export interface LlmAgentSettings {
  /** The orchestrator's socket; undefined lets the SDK resolve it ($BAAAHT_SOCKET, then the default path). */
  socketPath: string | undefined;
  /** The orchestrator's state directory; undefined lets the SDK resolve it ($BAAAHT_STATE_DIR, then XDG). */
  stateDir: string | undefined;
  /** The agent name. Defaults to "llm". */
  name: string;
  /** The model endpoint: base URL (no trailing slash), model, API key, idle timeout. */
  endpoint: Required<EndpointConfig>;
  /** The system prompt; undefined when none. */
  systemPrompt: string | undefined;
  /** The sandbox image that turns the run_shell tool on; undefined when none. */
  sandboxImage: string | undefined;
}

/** A wrong or missing setting: the command prints its message on one line and exits with code 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parses the llm-agent command line (without the node and script
 * arguments), each flag falling back to its environment variable.
 * `--help` prints usage and exits 0. The API key is read from
 * $BAAAHT_LLM_API_KEY only, never from a flag (command lines are visible to
 * every user); so is the orchestrator token ($BAAAHT_TOKEN or the state dir).
 *
 * @throws ConfigError when the base URL or the model is missing or invalid, or a flag is wrong.
 */
export function parseLlmAgentArgs(args: string[]): LlmAgentSettings {
  const program = new Command()
    .name("llm-agent")
    .description("A chat agent answering with a model behind an OpenAI-compatible chat-completions endpoint.")
    .addOption(new Option("--base-url <url>", "the endpoint's API root, e.g. http://127.0.0.1:11434/v1").env("BAAAHT_LLM_BASE_URL"))
    .addOption(new Option("--model <name>", "the model to ask, e.g. llama3.2").env("BAAAHT_LLM_MODEL"))
    .addOption(new Option("--system-prompt <text>", "a system message sent first on every turn").env("BAAAHT_LLM_SYSTEM_PROMPT"))
    .addOption(
      new Option("--sandbox-image <image>", "offer the model a run_shell tool running in the session's sandbox of this image").env(
        "BAAAHT_LLM_SANDBOX_IMAGE",
      ),
    )
    .addOption(
      new Option("--idle-timeout-ms <ms>", "fail an answer when the endpoint sends nothing for this long")
        .env("BAAAHT_LLM_IDLE_TIMEOUT_MS")
        .default(String(DEFAULT_IDLE_TIMEOUT_MS)),
    )
    .addOption(new Option("--name <name>", "the agent name").default("llm"))
    .addOption(new Option("--socket <path>", "the orchestrator's socket").env("BAAAHT_SOCKET"))
    .addOption(new Option("--state-dir <dir>", "the orchestrator's state directory").env("BAAAHT_STATE_DIR"))
    .allowExcessArguments(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) process.exit(0); // --help
      throw new ConfigError(err.message.replace(/^error: /, ""));
    });
  program.parse(args, { from: "user" });
  const opts = program.opts<{
    baseUrl?: string;
    model?: string;
    systemPrompt?: string;
    sandboxImage?: string;
    idleTimeoutMs: string;
    name: string;
    socket?: string;
    stateDir?: string;
  }>();
  const baseUrl = opts.baseUrl?.trim() ?? "";
  const model = opts.model?.trim() ?? "";
  const missing = [
    baseUrl === "" ? "the endpoint (--base-url or BAAAHT_LLM_BASE_URL, e.g. http://127.0.0.1:11434/v1)" : "",
    model === "" ? "the model (--model or BAAAHT_LLM_MODEL, e.g. llama3.2)" : "",
  ].filter((m) => m !== "");
  if (missing.length > 0) throw new ConfigError(`missing ${missing.join(" and ")}`);
  return {
    socketPath: opts.socket || undefined,
    stateDir: opts.stateDir || undefined,
    name: opts.name,
    endpoint: {
      baseUrl: apiRoot(baseUrl),
      model,
      apiKey: process.env.BAAAHT_LLM_API_KEY?.trim() ?? "",
      idleTimeoutMs: positiveMs(opts.idleTimeoutMs),
    },
    systemPrompt: opts.systemPrompt || undefined,
    sandboxImage: opts.sandboxImage?.trim() || undefined,
  };
}

/** An http(s) URL without trailing slashes. */
function apiRoot(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`the endpoint "${value}" is not a URL: give the API root, e.g. http://127.0.0.1:11434/v1`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`the endpoint "${value}" is not an http:// or https:// URL`);
  }
  const root = value.replace(/\/+$/, "");
  if (root.endsWith("/chat/completions")) {
    throw new ConfigError(`give the endpoint's API root without /chat/completions: ${root.slice(0, -"/chat/completions".length)}`);
  }
  return root;
}

/** A whole number of milliseconds > 0; empty means the default. */
function positiveMs(value: string): number {
  if (value.trim() === "") return DEFAULT_IDLE_TIMEOUT_MS;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`--idle-timeout-ms must be a whole number of milliseconds > 0, got "${value}"`);
  return n;
}
