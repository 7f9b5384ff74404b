import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Code } from "@connectrpc/connect";
import { GatewaySessionState } from "@baaaht/proto/gateway/v1";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NotFoundError, OrchestratorUnavailableError, UnauthenticatedError } from "./errors.js";
import { connectGateway, type Gateway } from "./gateway.js";
import { startFakeGateway, type FakeGateway } from "./test-support/fake-gateway.js";

let fake: FakeGateway;
const gateways: Gateway[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync("/tmp/bt-");
  dirs.push(dir);
  return dir;
}

beforeEach(async () => {
  fake = await startFakeGateway();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await fake.close();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

describe("connectGateway", () => {
  it("fails with OrchestratorUnavailableError naming the socket when nothing listens", async () => {
    const socketPath = `${tempDir()}/none.sock`;
    const err = await connectGateway({ socketPath, token: "t" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorUnavailableError);
    expect(err).toMatchObject({ code: Code.Unavailable });
    expect((err as Error).message).toContain(socketPath);

    const lazy = await connectGateway({ socketPath, token: "t", verify: false });
    gateways.push(lazy);
    await expect(lazy.openChat()).rejects.toBeInstanceOf(OrchestratorUnavailableError);
  });

  it("reads the gateway token from the state directory, and BAAAHT_TOKEN over it", async () => {
    vi.stubEnv("BAAAHT_TOKEN", "");
    const stateDir = tempDir();
    writeFileSync(`${stateDir}/gateway.token`, "from-file\n", { mode: 0o600 });
    gateways.push(await connectGateway({ socketPath: fake.socketPath, stateDir }));
    expect(fake.authorizations.at(-1)).toBe("Bearer from-file");

    vi.stubEnv("BAAAHT_TOKEN", "from-env");
    gateways.push(await connectGateway({ socketPath: fake.socketPath, stateDir }));
    expect(fake.authorizations.at(-1)).toBe("Bearer from-env");
  });

  it("fails with UnauthenticatedError when there is no token", async () => {
    vi.stubEnv("BAAAHT_TOKEN", "");
    const err = await connectGateway({ socketPath: fake.socketPath, stateDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect((err as Error).message).toMatch(/no gateway token at .*gateway\.token/);
  });
});

describe("Gateway", () => {
  it("lists sessions page after page, with a state filter", async () => {
    const gw = await connectGateway({ socketPath: fake.socketPath, token: "t" });
    gateways.push(gw);
    for (let i = 0; i < 5; i++) await gw.openChat({ name: `s${i}` });
    await gw.closeSession("gs-2");
    const all = [];
    for await (const s of gw.listSessions({ pageSize: 2 })) all.push(s.metadata?.name);
    expect(all).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    const active = [];
    for await (const s of gw.listSessions({ state: GatewaySessionState.ACTIVE, pageSize: 2 })) active.push(s.id);
    expect(active).toEqual(["gs-1", "gs-3", "gs-4", "gs-5"]);
  });

  it("resumeChat on an unknown session fails with NotFoundError", async () => {
    const gw = await connectGateway({ socketPath: fake.socketPath, token: "t" });
    gateways.push(gw);
    const err = await gw.resumeChat("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: Code.NotFound, message: "gateway session nope not found" });
  });

  it("close() detaches its chats but leaves their sessions open", async () => {
    const gw = await connectGateway({ socketPath: fake.socketPath, token: "t" });
    const chat = await gw.openChat();
    await fake.waitFor(() => fake.attached(chat.sessionId) === 1);
    await gw.close();
    expect(chat.ended).toBe(true);
    await fake.waitFor(() => fake.attached(chat.sessionId) === 0);
    expect(fake.closedSessions).toEqual([]);
  });
});
