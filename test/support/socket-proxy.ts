import { createConnection, createServer, type Socket } from "node:net";
import { join } from "node:path";

/** A Unix-socket relay in front of an orchestrator, to cut a client's connection mid-stream (a fault the real thing cannot be asked for). */
export interface SocketProxy {
  readonly socketPath: string;
  /** Destroys every connection relayed so far (both sides); new connections are relayed as before. */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a relay on `<dir>/proxy.sock` to `target`. */
export async function startSocketProxy(target: string, dir: string): Promise<SocketProxy> {
  const socketPath = join(dir, "proxy.sock");
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    cut: () => open.forEach((s) => s.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        open.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
