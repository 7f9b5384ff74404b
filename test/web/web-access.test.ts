// `baaaht web` refuses whoever has not signed in with the one-time link, and
// refuses to listen where other machines could reach it in clear text.
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { startWebGateway, stopAllWebGateways, type WebProcess } from "../support/web-process.js";

const LIST_CHATS = "/web.v1.WebService/ListChats";

/** Signs in with the login link; returns the cookie (name=value). */
async function signIn(web: WebProcess): Promise<string> {
  const res = await fetch(web.loginUrl, { redirect: "manual" });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(";")[0] ?? "";
}

function listChats(web: WebProcess, headers: Record<string, string>): Promise<Response> {
  return fetch(web.url + LIST_CHATS, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
}

describe("baaaht web: access", () => {
  let orch: OrchestratorProcess;
  let web: WebProcess;

  beforeAll(async () => {
    orch = await startOrchestrator();
    web = await startWebGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
  });
  afterAll(async () => {
    await stopAllWebGateways();
    await stopAllOrchestrators();
  });

  it("listens on loopback and refuses the API and the page without the session cookie", async () => {
    expect(new URL(web.url).hostname).toBe("127.0.0.1");
    const api = await listChats(web, {});
    expect(api.status).toBe(401);
    expect(((await api.json()) as { code: string }).code).toBe("unauthenticated");
    const page = await fetch(`${web.url}/`);
    expect(page.status).toBe(401);
    expect(await page.text()).not.toContain("<script");
    const forged = await listChats(web, { cookie: "baaaht_web=forged" });
    expect(forged.status).toBe(401);
  });

  it("trades the login link once for a cookie that opens the API and the page, from its own origin only", async () => {
    const cookie = await signIn(web);
    const again = await fetch(web.loginUrl, { redirect: "manual" });
    expect(again.status).toBe(401);
    expect(again.headers.get("set-cookie")).toBeNull();

    const api = await listChats(web, { cookie, origin: web.url });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({});
    const page = await fetch(`${web.url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('aria-label="Conversation"');

    const crossSite = await listChats(web, { cookie, origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { code: string }).code).toBe("permission_denied");
  });

  it("answers HTTP/2 with prior knowledge on the same port", async () => {
    const session = connect(web.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ":path": "/", ":method": "GET" });
        req.on("response", (headers) => resolve(Number(headers[":status"])));
        req.on("error", reject);
        req.resume();
        req.end();
      });
      expect(status).toBe(401);
    } finally {
      session.close();
    }
  });

  it("refuses a non-loopback bind without TLS or --insecure-public (exit 2)", async () => {
    const res = await runCli(["web", "--socket", orch.socketPath, "--state-dir", orch.stateDir, "--host", "0.0.0.0", "--port", "0"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/refusing to serve on 0\.0\.0\.0 without TLS.*--insecure-public/);
  });
});
