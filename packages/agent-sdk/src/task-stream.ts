import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import type { AgentService, StreamTaskRequestSchema } from "@baaaht/proto/agent/v1";
import { Outbox } from "./outbox.js";
import { bearer } from "./registration.js";

/** What an executing agent sends up StreamTask after the first request. */
export type TaskReport = MessageInitShape<typeof StreamTaskRequestSchema>["payload"];

/** How a task stream ended: undefined when the orchestrator ended it with OK. */
export type StreamEnd = ConnectError | undefined;

/** Opens the StreamTask stream of one task (bound to the agent's client and token). */
export type OpenTaskStream = (taskId: string, onFailure: (err: ConnectError) => void) => TaskStream;

/** Binds {@link TaskStream} to a client and the agent's registration token. */
export function taskStreamOpener(client: Client<typeof AgentService>, token: string): OpenTaskStream {
  return (taskId, onFailure) => new TaskStream(client, token, taskId, onFailure);
}

/**
 * The agent's side of one task's StreamTask stream: the first request names
 * the task, then progress, output and exactly one final report (complete or
 * error_msg) go up it in order. The orchestrator ends the stream with OK
 * once it stored the final report.
 */
export class TaskStream {
  private readonly outbox = new Outbox<MessageInitShape<typeof StreamTaskRequestSchema>>();
  private readonly controller = new AbortController();
  private finishing = false;
  /** Settles when the response side ends: undefined for OK, else the error. Never rejects. */
  readonly ended: Promise<StreamEnd>;

  constructor(
    client: Client<typeof AgentService>,
    token: string,
    private readonly taskId: string,
    onFailure: (err: ConnectError) => void,
  ) {
    this.outbox.push({ taskId });
    const responses = client.streamTask(this.outbox, { headers: bearer(token), signal: this.controller.signal });
    this.ended = (async (): Promise<StreamEnd> => {
      try {
        for await (const _ of responses) {
          // the orchestrator sends nothing the executing agent must act on
        }
        if (this.finishing) return undefined;
        const early = new ConnectError("the orchestrator ended the task stream early", Code.Aborted);
        onFailure(early);
        return early;
      } catch (err) {
        const ce = ConnectError.from(err);
        if (!this.finishing) onFailure(ce);
        return ce;
      } finally {
        this.outbox.close();
      }
    })();
  }

  /** Queues a progress or output report; dropped once the stream ended. */
  send(payload: TaskReport): void {
    this.outbox.push({ taskId: this.taskId, payload });
  }

  /**
   * Sends the final report (none when `final` is undefined), closes the
   * request side and waits up to `graceMs` for the orchestrator to end the
   * stream, then cuts it. Resolves with how the stream ended (a
   * DeadlineExceeded error when the grace passed).
   */
  async finish(final: TaskReport | undefined, graceMs: number): Promise<StreamEnd> {
    this.finishing = true;
    if (final !== undefined) this.send(final);
    this.outbox.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<StreamEnd>((resolve) => {
      timer = setTimeout(
        () => resolve(new ConnectError("the orchestrator did not end the task stream in time", Code.DeadlineExceeded)),
        graceMs,
      );
    });
    try {
      return await Promise.race([this.ended, grace]);
    } finally {
      clearTimeout(timer);
      this.controller.abort();
    }
  }

  /** Cuts the stream at once without a final report. */
  close(): void {
    this.finishing = true;
    this.outbox.close();
    this.controller.abort();
  }
}
