import type { AgentCard, Message, StreamResponse, Task } from "@a2a-js/sdk";
import type { Client } from "@a2a-js/sdk/client";
import { backoffDelay } from "./backoff.js";

/**
 * Delegating to A2A agents (`ctx.a2a(urlOrCard).send(message)`). The A2A
 * client (`@a2a-js/sdk`, an optional peer dependency) is loaded on first use.
 */

/** Options of {@link connectA2A} and `ctx.a2a()`. */
export interface A2AAgentOptions {
  /** A bearer token sent with every call (not with the public agent card). */
  token?: string;
  /** Aborting it cancels the remote task and ends the iteration (`ctx.a2a` passes the handler's signal). */
  signal?: AbortSignal;
  /** Stream the answer (default: when the card says it streams); false sends and waits. */
  streaming?: boolean;
  /** How often a dropped stream is resubscribed before giving up (default 8), with a growing delay. */
  maxResubscribes?: number;
  /** Where the card is when `urlOrCard` is a base URL (default `.well-known/agent-card.json` under it). */
  cardPath?: string;
}

/** What to send: text, a data part (e.g. `{ taskType, params }` for a baaaht bridge), or both. */
export type A2AMessageInput = string | { text?: string; data?: Record<string, unknown> };

/** Options of one `send()`. */
export interface A2ASendOptions {
  /** Continue this A2A context (a conversation); default: a new one chosen by the remote agent. */
  contextId?: string;
  /** Answer this task (one that asked for input). */
  taskId?: string;
}

/** A piece of the remote answer: `text` appended to the artifact `artifactId`, or a status change. */
export type A2AUpdate =
  | { kind: "text"; artifactId: string; text: string }
  | { kind: "status"; state: A2AStateName; text: string };

export type A2AStateName = "submitted" | "working" | "completed" | "failed" | "canceled" | "input-required" | "rejected" | "auth-required" | "unknown";

/** How the remote task ended (or paused, for "input-required" and "auth-required"). */
export interface A2AResult {
  state: A2AStateName;
  /** The final status message (the full answer, an error, or the question asked). */
  text: string;
  /** The artifacts' text, by artifact id. */
  artifacts: Record<string, string>;
  taskId: string;
  contextId: string;
}

/** One message sent: iterate it for the updates (once), `await run.result` for the outcome. */
export interface A2ARun extends AsyncIterable<A2AUpdate> {
  readonly result: Promise<A2AResult>;
  /** Cancels the remote task. */
  cancel(): Promise<void>;
}

export interface A2AAgent {
  card(): Promise<AgentCard>;
  send(message: A2AMessageInput, options?: A2ASendOptions): A2ARun;
}

const TERMINAL: ReadonlySet<A2AStateName> = new Set(["completed", "failed", "canceled", "rejected", "input-required", "auth-required"]);
const STATE_NAMES: A2AStateName[] = ["unknown", "submitted", "working", "completed", "failed", "canceled", "input-required", "rejected", "auth-required"];
/** The baaaht bridge's resume extension: each event's cursor, sent back as `Last-Event-ID` when resubscribing. */
const EVENT_ID_KEY = "baaaht.eventId";

const stateName = (state: number | undefined): A2AStateName => STATE_NAMES[state ?? 0] ?? "unknown";
const partsText = (parts: Message["parts"] | undefined) => (parts ?? []).map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");

/** An A2A agent by its base URL (its card is fetched) or its card. */
export function connectA2A(urlOrCard: string | AgentCard, options: A2AAgentOptions = {}): A2AAgent {
  let client: Promise<Client> | undefined;
  const getClient = () => (client ??= createClient(urlOrCard, options));
  return {
    card: async () => (await getClient()).getAgentCard(),
    send: (message, sendOptions = {}) => new RemoteRun(getClient, message, sendOptions, options),
  };
}

async function createClient(urlOrCard: string | AgentCard, options: A2AAgentOptions): Promise<Client> {
  const sdk = await import("@a2a-js/sdk/client").catch((err: unknown) => {
    throw new Error("ctx.a2a() needs the optional dependency @a2a-js/sdk: npm install @a2a-js/sdk", { cause: err });
  });
  const fetchImpl: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    if (options.token) headers.set("authorization", `Bearer ${options.token}`);
    return fetch(input, { ...init, headers });
  };
  const factory = new sdk.ClientFactory(
    sdk.ClientFactoryOptions.createFrom(sdk.ClientFactoryOptions.default, {
      transports: [new sdk.JsonRpcTransportFactory({ fetchImpl }), new sdk.RestTransportFactory({ fetchImpl })],
    }),
  );
  if (typeof urlOrCard !== "string") return factory.createFromAgentCard(urlOrCard);
  const base = urlOrCard.endsWith("/") ? urlOrCard : `${urlOrCard}/`;
  return factory.createFromUrl(base, options.cardPath);
}

class RemoteRun implements A2ARun {
  readonly result: Promise<A2AResult>;
  readonly #updates: A2AUpdate[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #taskId = "";
  #contextId = "";
  #lastEventId: string | undefined;
  #getClient: () => Promise<Client>;

  constructor(getClient: () => Promise<Client>, message: A2AMessageInput, sendOptions: A2ASendOptions, options: A2AAgentOptions) {
    this.#getClient = getClient;
    this.result = this.#run(message, sendOptions, options);
    this.result.catch(() => {}).finally(() => this.#end());
    const onAbort = () => void this.cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    void this.result.finally(() => options.signal?.removeEventListener("abort", onAbort)).catch(() => {});
  }

  async *[Symbol.asyncIterator](): AsyncIterator<A2AUpdate> {
    let next = 0;
    for (;;) {
      while (next < this.#updates.length) yield this.#updates[next++]!;
      if (this.#ended) break;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    await this.result; // rethrows a failure of the call itself
  }

  async cancel(): Promise<void> {
    if (!this.#taskId || this.#ended) return;
    await (await this.#getClient()).cancelTask({ tenant: "", id: this.#taskId, metadata: undefined }).catch(() => {});
  }

  #push(update: A2AUpdate): void {
    this.#updates.push(update);
    this.#wake?.();
  }

  #end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async #run(input: A2AMessageInput, sendOptions: A2ASendOptions, options: A2AAgentOptions): Promise<A2AResult> {
    const client = await this.#getClient();
    const { Role } = await import("@a2a-js/sdk");
    const text = typeof input === "string" ? input : input.text;
    const data = typeof input === "string" ? undefined : input.data;
    const message: Message = {
      messageId: crypto.randomUUID(),
      contextId: sendOptions.contextId ?? "",
      taskId: sendOptions.taskId ?? "",
      role: Role.ROLE_USER,
      parts: [
        ...(text ? [{ content: { $case: "text" as const, value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }] : []),
        ...(data ? [{ content: { $case: "data" as const, value: data }, metadata: undefined, filename: "", mediaType: "application/json" }] : []),
      ],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
    const state = new RunState();
    const params = { tenant: "", message, configuration: undefined, metadata: undefined };
    const card = await client.getAgentCard();
    if (options.streaming === false || !card.capabilities?.streaming) {
      const res = await client.sendMessage(params, { signal: options.signal });
      this.#apply(state, "artifacts" in res ? { payload: { $case: "task", value: res as Task } } : { payload: { $case: "message", value: res as Message } });
      return state.result(this.#taskId, this.#contextId);
    }
    let stream: AsyncIterable<StreamResponse> = client.sendMessageStream(params, { signal: options.signal });
    for (let attempt = 0; ; ) {
      try {
        for await (const event of stream) {
          this.#apply(state, event);
          attempt = 0;
        }
        if (state.done || !this.#taskId) return state.result(this.#taskId, this.#contextId);
      } catch (err) {
        if (options.signal?.aborted || !this.#taskId || attempt >= (options.maxResubscribes ?? 8)) throw err;
      }
      // The stream ended before the task did: resubscribe from the last event seen, after a growing delay.
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt++, { initialDelayMs: 100, maxDelayMs: 5000 })));
      options.signal?.throwIfAborted();
      const serviceParameters: Record<string, string> = this.#lastEventId === undefined ? {} : { "Last-Event-ID": this.#lastEventId };
      stream = client.resubscribeTask({ tenant: "", id: this.#taskId }, { signal: options.signal, serviceParameters });
    }
  }

  #apply(state: RunState, event: StreamResponse): void {
    const p = event.payload;
    if (!p) return;
    const v = p.value as { taskId?: string; contextId?: string; id?: string; metadata?: Record<string, unknown> };
    this.#taskId ||= (p.$case === "task" ? v.id : v.taskId) ?? "";
    this.#contextId ||= v.contextId ?? "";
    const eventId = v.metadata?.[EVENT_ID_KEY];
    if (typeof eventId === "string") this.#lastEventId = eventId;
    for (const update of state.apply(event)) this.#push(update);
  }
}

/** The accumulated state of a remote task, and the updates each event adds (nothing twice). */
class RunState {
  readonly artifacts: Record<string, string> = {};
  state: A2AStateName = "submitted";
  text = "";

  get done(): boolean {
    return TERMINAL.has(this.state);
  }

  *apply(event: StreamResponse): Generator<A2AUpdate> {
    const p = event.payload;
    if (p?.$case === "message") {
      yield* this.#append("message", partsText(p.value.parts), false);
      this.state = "completed";
      this.text = partsText(p.value.parts);
    } else if (p?.$case === "task") {
      // A snapshot (first event, or after a resubscribe): only what is new.
      for (const a of p.value.artifacts) yield* this.#snapshot(a.artifactId, partsText(a.parts));
      yield* this.#status(p.value.status?.state, partsText(p.value.status?.message?.parts));
    } else if (p?.$case === "artifactUpdate" && p.value.artifact) {
      yield* this.#append(p.value.artifact.artifactId, partsText(p.value.artifact.parts), p.value.append);
    } else if (p?.$case === "statusUpdate") {
      yield* this.#status(p.value.status?.state, partsText(p.value.status?.message?.parts));
    }
  }

  result(taskId: string, contextId: string): A2AResult {
    return { state: this.state, text: this.text, artifacts: this.artifacts, taskId, contextId };
  }

  *#snapshot(id: string, full: string): Generator<A2AUpdate> {
    const seen = this.artifacts[id] ?? "";
    if (full.startsWith(seen) && full.length > seen.length) yield* this.#append(id, full.slice(seen.length), true);
  }

  *#append(id: string, text: string, append: boolean): Generator<A2AUpdate> {
    this.artifacts[id] = (append ? (this.artifacts[id] ?? "") : "") + text;
    if (text) yield { kind: "text", artifactId: id, text };
  }

  *#status(state: number | undefined, text: string): Generator<A2AUpdate> {
    const name = stateName(state);
    if (name === "unknown" || (name === this.state && text === "")) return;
    this.state = name;
    if (text) this.text = text;
    yield { kind: "status", state: name, text };
  }
}

/** The `ctx.a2a` of a handler: {@link connectA2A} whose calls stop (and cancel the remote task) when `signal` aborts. */
export function a2aFor(signal: AbortSignal): (urlOrCard: string | AgentCard, options?: A2AAgentOptions) => A2AAgent {
  return (urlOrCard, options = {}) => connectA2A(urlOrCard, { ...options, signal: options.signal ? AbortSignal.any([signal, options.signal]) : signal });
}
