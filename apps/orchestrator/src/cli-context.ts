import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createSocketTransport, readToken, resolveSocketPath, resolveStateDir, type WireProtocol } from "@baaaht/transport";

/** Options every command accepts. */
export interface GlobalOptions {
  socket?: string;
  stateDir?: string;
  json?: boolean;
  protocol?: WireProtocol;
}

/** What a client command works with: resolved paths, output mode and clients. */
export class CliContext {
  readonly socketPath: string;
  readonly stateDir: string;
  readonly json: boolean;
  /** The wire protocol of client calls; undefined means the transport's default. */
  readonly protocol: WireProtocol | undefined;
  readonly #closers: (() => void)[] = [];

  constructor(options: GlobalOptions) {
    this.socketPath = resolveSocketPath(options.socket);
    this.stateDir = resolveStateDir(options.stateDir);
    this.json = options.json ?? false;
    this.protocol = options.protocol;
  }

  /** A client of `service` that authenticates with the admin token (unless `anonymous`). */
  client<S extends DescService>(service: S, { anonymous = false } = {}): Client<S> {
    const token = anonymous ? undefined : readToken("admin", { stateDir: this.stateDir });
    const socket = createSocketTransport({ socketPath: this.socketPath, token, protocol: this.protocol });
    this.#closers.push(() => socket.close());
    return createClient(service, socket.transport);
  }

  /** Prints a result: `json` (protobuf JSON or plain data) with --json, else the human text. */
  print(human: string, json: unknown): void {
    process.stdout.write(this.json ? `${JSON.stringify(json)}\n` : `${human}\n`);
  }

  /** Closes every connection the command opened. */
  close(): void {
    this.#closers.splice(0).forEach((close) => close());
  }
}
