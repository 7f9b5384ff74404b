import { randomBytes } from "node:crypto";

/** The name of the session cookie the login sets. */
export const SESSION_COOKIE = "baaaht_web";

const secret = (): string => randomBytes(32).toString("base64url");

/**
 * Who may use the web gateway: one-time login tokens (printed at start) that
 * are traded for browser sessions, and the session cookies of those sessions.
 * Everything lives in memory: a restart of the web gateway logs everyone out.
 */
export class WebAccess {
  readonly #loginTokens = new Set<string>();
  readonly #sessions = new Set<string>();

  /** A fresh one-time login token. */
  issueLoginToken(): string {
    const token = secret();
    this.#loginTokens.add(token);
    return token;
  }

  /** Spends a login token; returns the new session's cookie value, or undefined when the token is unknown or used. */
  redeem(loginToken: string): string | undefined {
    if (!this.#loginTokens.delete(loginToken)) return undefined;
    const session = secret();
    this.#sessions.add(session);
    return session;
  }

  /** Whether a Cookie header carries a live session. */
  isSignedIn(cookieHeader: string | undefined): boolean {
    const value = readCookie(cookieHeader, SESSION_COOKIE);
    return value !== undefined && this.#sessions.has(value);
  }
}

/** The Set-Cookie value of a session: HttpOnly, SameSite=Strict, Secure over TLS. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** The value of cookie `name` in a Cookie header, if any. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
