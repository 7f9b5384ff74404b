import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "@baaaht/proto/grpc/health/v1";
import { afterEach, describe, expect, it } from "vitest";
import { SocketInUseError } from "./socket-in-use-error.js";
import { listenOnSocket } from "./socket-server.js";
import {
  cleanupAll,
  makeStaleSocket,
  openTransport,
  startHealthServer,
  tempSocketPath,
} from "./test-support.js";

const noHandler = () => undefined;

afterEach(cleanupAll);

async function check(socketPath: string) {
  const client = createClient(Health, openTransport({ socketPath }).transport);
  return (await client.check({})).status;
}

describe("listenOnSocket", () => {
  it("creates the socket with mode 0600", async () => {
    const p = tempSocketPath();
    await startHealthServer(p);
    expect(statSync(p).isSocket()).toBe(true);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it("makes the socket 0660 and group-owned with a gid or a group name", async () => {
    const gid = process.getgid?.() ?? 0;
    const name = execFileSync("getent", ["group", String(gid)], { encoding: "utf8" }).split(":")[0] ?? "";
    for (const group of [gid, name]) {
      const p = tempSocketPath();
      await startHealthServer(p, { group });
      expect(statSync(p).mode & 0o777).toBe(0o660);
      expect(statSync(p).gid).toBe(gid);
    }
  });

  it("refuses an unknown group, naming it, and leaves no socket", async () => {
    const p = tempSocketPath();
    await expect(listenOnSocket({ socketPath: p, handler: noHandler, group: "no-such-group-xyz" }))
      .rejects.toThrow(/no-such-group-xyz/);
    expect(existsSync(p)).toBe(false);
  });

  it("throws SocketInUseError for a live socket and the first server still serves", async () => {
    const p = tempSocketPath();
    await startHealthServer(p);
    const second = listenOnSocket({ socketPath: p, handler: noHandler });
    await expect(second).rejects.toBeInstanceOf(SocketInUseError);
    await expect(second).rejects.toThrow(`another process is already serving on ${p}`);
    expect(await check(p)).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("replaces a stale socket left by a killed process", async () => {
    const p = tempSocketPath();
    await makeStaleSocket(p);
    expect(statSync(p).isSocket()).toBe(true);
    await startHealthServer(p);
    expect(await check(p)).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("refuses a regular file at the path and leaves it intact", async () => {
    const p = tempSocketPath();
    writeFileSync(p, "precious");
    await expect(listenOnSocket({ socketPath: p, handler: noHandler })).rejects.toThrow(p);
    expect(readFileSync(p, "utf8")).toBe("precious");
  });

  it("requires the parent directory, naming it", async () => {
    const dir = `${tempSocketPath()}.d`;
    await expect(listenOnSocket({ socketPath: `${dir}/s.sock`, handler: noHandler })).rejects.toThrow(dir);
  });

  it("refuses a path longer than the kernel accepts", async () => {
    const p = `/tmp/${"x".repeat(120)}.sock`;
    await expect(listenOnSocket({ socketPath: p, handler: noHandler })).rejects.toThrow(/longer than 107 bytes/);
    expect(existsSync(p)).toBe(false);
  });
});

describe("SocketServer.close", () => {
  it("resolves with an open client session and an open server stream, and unlinks the socket", async () => {
    const p = tempSocketPath();
    const { server, probe } = await startHealthServer(p);
    const client = createClient(Health, openTransport({ socketPath: p }).transport);
    expect((await client.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const stream = client.watch({})[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(server.sessionCount).toBe(1);

    const started = Date.now();
    const closing = server.close({ graceMs: 200 });
    expect(server.close()).toBe(closing);
    await closing;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(existsSync(p)).toBe(false);
    expect(server.sessionCount).toBe(0);
    expect(probe.watchSignals[0]?.aborted).toBe(true);
    await expect(stream.next()).rejects.toThrow();
  });

  it("does not wait for the grace period when only idle sessions are open", async () => {
    const p = tempSocketPath();
    const { server } = await startHealthServer(p);
    await check(p);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(existsSync(p)).toBe(false);
  });

  it("lets an in-flight stream finish within the grace period", async () => {
    const p = tempSocketPath();
    const { server, probe } = await startHealthServer(p);
    const client = createClient(Health, openTransport({ socketPath: p }).transport);
    const abort = new AbortController();
    const stream = client.watch({}, { signal: abort.signal })[Symbol.asyncIterator]();
    await stream.next();
    const closing = server.close({ graceMs: 10_000 });
    // The stream is still open: the server waits for it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(probe.watchSignals[0]?.aborted).toBe(false);
    abort.abort();
    await closing;
    expect(existsSync(p)).toBe(false);
  });
});
