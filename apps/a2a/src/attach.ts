import { connectA2A, createAgent, type A2AAgent, type A2ARun, type Agent, type ChatContext, type Task, type TaskContext } from "@baaaht/agent-sdk";

export interface AttachOptions {
  /** The remote agent's base URL (its card is under `.well-known/agent-card.json`). */
  card: string;
  /** The name to register under; defaults to the card's name. */
  name?: string;
  /** The bearer token for the remote agent. */
  token?: string;
  socketPath?: string;
  stateDir?: string;
  /** Install SIGINT/SIGTERM handlers (the CLI does). */
  handleSignals?: boolean;
}

/** Where a session's conversation with the remote agent stands: its A2A context, and the task waiting for an answer. */
interface RemoteThread {
  contextId?: string;
  inputTaskId?: string;
}

/** The task types a remote card offers as skills `task:<type>` (how the baaaht bridge lists them). */
function remoteTaskTypes(skills: { id: string }[]): string[] {
  return skills.filter((s) => s.id.startsWith("task:")).map((s) => s.id.slice("task:".length));
}

/**
 * `baaaht a2a attach`: registers a proxy agent on the orchestrator whose chat
 * turns and tasks go to a remote A2A agent. Answers stream back as chunks,
 * a question (INPUT_REQUIRED) is the answer and the user's next message
 * answers it, a cancel cancels the remote task, and a dropped stream is
 * resubscribed with backoff (all by `ctx.a2a`).
 */
export async function attachRemoteAgent(options: AttachOptions): Promise<Agent> {
  const remote: A2AAgent = connectA2A(options.card, { token: options.token });
  const card = await remote.card();
  const taskTypes = remoteTaskTypes(card.skills);
  const threads = new Map<string, RemoteThread>();
  const target = (ctx: ChatContext | TaskContext) => ctx.a2a(options.card, { token: options.token });

  return createAgent({
    name: options.name ?? card.name,
    description: card.description,
    version: card.version,
    labels: { "a2a.remote": new URL(options.card).host },
    socketPath: options.socketPath,
    stateDir: options.stateDir,
    handleSignals: options.handleSignals,
    capabilities: { maxConcurrentTasks: 8 },
    async *onMessage(msg, ctx) {
      const thread = threads.get(msg.sessionId) ?? {};
      const run = target(ctx).send(msg.content, { contextId: thread.contextId, taskId: thread.inputTaskId });
      let streamed = false;
      for await (const update of run) {
        if (update.kind !== "text") continue;
        streamed = true;
        yield update.text;
      }
      const result = await run.result;
      // A question, or an answer given only as the final status message, ends the reply.
      if (result.state === "input-required" || result.state === "auth-required") yield (streamed ? "\n" : "") + result.text;
      else if (!streamed && result.state === "completed") yield result.text;
      threads.set(msg.sessionId, { contextId: result.contextId, inputTaskId: result.state === "input-required" ? result.taskId : undefined });
      if (result.state === "failed" || result.state === "rejected") throw new Error(result.text || `the remote agent's task ${result.state}`);
    },
    ...(taskTypes.length === 0
      ? {}
      : {
          taskTypes,
          async onTask(task: Task, ctx: TaskContext) {
            const run: A2ARun = target(ctx).send({ data: { taskType: task.type, params: { ...task.parameters, command: task.command, arguments: task.arguments } } });
            for await (const update of run) {
              if (update.kind === "text" && update.artifactId === "output") await ctx.output(update.text);
            }
            const result = await run.result;
            if (result.state !== "completed") throw Object.assign(new Error(result.text || `the remote task ended ${result.state}`), { code: `A2A_${result.state.toUpperCase()}` });
            return { outputText: result.artifacts.result ?? result.text };
          },
        }),
  });
}
