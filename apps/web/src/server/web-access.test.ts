import { describe, expect, it } from "vitest";
import { readCookie, SESSION_COOKIE, sessionCookie, WebAccess } from "./web-access.js";

describe("WebAccess", () => {
  it("trades a login token once for a session that the cookie then proves", () => {
    const access = new WebAccess();
    const token = access.issueLoginToken();
    const session = access.redeem(token);
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(access.redeem(token)).toBeUndefined();
    expect(access.isSignedIn(`other=1; ${SESSION_COOKIE}=${session}`)).toBe(true);
    expect(access.isSignedIn(`${SESSION_COOKIE}=${token}`)).toBe(false);
    expect(access.isSignedIn(undefined)).toBe(false);
    expect(access.redeem("")).toBeUndefined();
  });

  it("sets an HttpOnly, SameSite=Strict cookie, Secure over TLS", () => {
    expect(sessionCookie("v", false)).toBe(`${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Strict`);
    expect(sessionCookie("v", true)).toMatch(/; Secure$/);
  });

  it("reads one cookie out of a Cookie header", () => {
    expect(readCookie("a=1; b = 2 ;c=3", "b")).toBe("2");
    expect(readCookie("ab=1", "a")).toBeUndefined();
    expect(readCookie(undefined, "a")).toBeUndefined();
  });
});
