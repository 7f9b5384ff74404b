import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { MessageType } from "@baaaht/proto/agent/v1";
import type { AgentMessage, AgentService, StreamAgentRequestSchema } from "@baaaht/proto/agent/v1";
import type { ChatChunkInit } from "./chat-dispatcher.js";
import type { Logger } from "./logger.js";
import { Outbox } from "./outbox.js";
import { bearer, isRegistrationLost } from "./registration.js";
import type { Registration } from "./registration.js";

type StreamAgentRequestInit = MessageInitShape<typeof StreamAgentRequestSchema>;

/** What an {@link AgentConnection} reports to its agent. */
export interface ConnectionHandlers {
  /** The orchestrator attached the stream (its first response on StreamAgent arrived). Called once. */
  onConnected(): void;
  /** A message the orchestrator pushed down the stream. */
  onMessage(message: AgentMessage): void;
  /** The ids of the tasks the agent is running, sent with every heartbeat. */
  activeTasks(): string[];
}

/**
 * One life of an agent's StreamAgent stream: opens it with the agent id and
 * a heartbeat, calls Heartbeat every interval, and hands pushed messages to
 * the agent. Heartbeat answering NOT_FOUND or UNAUTHENTICATED ends the
 * connection with that error (the agent must register again); other
 * heartbeat failures are only logged, the stream itself tells when the
 * orchestrator is gone.
 */
export class AgentConnection {
  private readonly outbox = new Outbox<StreamAgentRequestInit>();
  private readonly controller = new AbortController();
  private failure: unknown;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private messageCount = 0;

  constructor(
    private readonly client: Client<typeof AgentService>,
    private readonly registration: Registration,
    private readonly handlers: ConnectionHandlers,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs the connection until the stream ends. Always rejects: with the
   * reason given to {@link close}, the stream's error, or Unavailable when
   * the orchestrator ended the stream.
   */
  async run(): Promise<never> {
    const { agentId, token, heartbeatIntervalMs } = this.registration;
    this.outbox.push({ agentId, payload: { case: "heartbeat", value: timestampNow() } });
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatIntervalMs);
    try {
      const responses = this.client.streamAgent(this.outbox, {
        headers: bearer(token),
        signal: this.controller.signal,
      });
      void this.heartbeat();
      for await (const res of responses) {
        this.markConnected();
        if (res.payload.case === "message") this.handlers.onMessage(res.payload.value);
      }
      throw new ConnectError("the orchestrator ended the agent stream", Code.Unavailable);
    } catch (err) {
      throw this.failure ?? err;
    } finally {
      this.stopHeartbeats();
      this.outbox.close();
      this.controller.abort();
    }
  }

  /** Sends no more heartbeats (before the agent unregisters, so none arrives after it). */
  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
  }

  /** Sends a chat chunk up the stream; dropped when the connection has ended. */
  sendChatChunk(chunk: ChatChunkInit): void {
    const { agentId } = this.registration;
    this.outbox.push({
      agentId,
      payload: {
        case: "message",
        value: {
          id: `${agentId}-${++this.messageCount}-${randomUUID().slice(0, 8)}`,
          type: MessageType.CHAT_CHUNK,
          timestamp: timestampNow(),
          sourceId: agentId,
          targetId: "orchestrator",
          payload: { case: "chatChunk", value: chunk },
          metadata: { sessionId: chunk.sessionId ?? "", correlationId: chunk.messageId ?? "" },
        },
      },
    });
  }

  /** Resolves once everything queued was handed to the transport, or after `graceMs`. */
  flush(graceMs: number): Promise<void> {
    return Promise.race([this.outbox.taken(), delay(graceMs)]);
  }

  /**
   * Ends the connection gracefully: flushes, closes the request side, lets
   * the orchestrator end the stream for up to `graceMs`, then cuts it.
   */
  async finish(run: Promise<unknown>, graceMs: number): Promise<void> {
    this.failure ??= new ConnectError("the agent stopped", Code.Canceled);
    await this.flush(graceMs);
    this.outbox.close();
    await Promise.race([run.catch(() => undefined), delay(graceMs)]);
    this.close(this.failure);
  }

  /** Cuts the connection at once; `reason` becomes {@link run}'s rejection unless one was set before. */
  close(reason: unknown): void {
    this.failure ??= reason;
    this.controller.abort(reason);
  }

  private markConnected(): void {
    if (this.connected || this.controller.signal.aborted) return;
    this.connected = true;
    this.handlers.onConnected();
  }

  private async heartbeat(): Promise<void> {
    const { agentId, token, heartbeatIntervalMs } = this.registration;
    try {
      await this.client.heartbeat(
        { agentId, activeTasks: this.handlers.activeTasks() },
        { headers: bearer(token), signal: this.controller.signal, timeoutMs: heartbeatIntervalMs },
      );
    } catch (err) {
      if (this.controller.signal.aborted) return;
      if (isRegistrationLost(err)) {
        this.logger.warn("the orchestrator no longer knows this agent", { agentId, error: String(err) });
        this.close(err);
        return;
      }
      this.logger.warn("heartbeat failed", { agentId, error: String(err) });
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
