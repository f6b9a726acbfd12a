/**
 * Who may use the head's HTTP routes: a caller presenting the cluster token
 * (`Authorization: Bearer <token>`), or a browser holding a session it got by logging in
 * with the token. Tokens are compared in constant time (as digests, so their lengths do
 * not leak either); sessions are random ids kept in memory, so a restart logs browsers out.
 * The cookie carries the session's id, never the token.
 */
import { randomBytes } from "node:crypto";
import { tokenDigest, tokenMatches } from "@lux/protocol";

/** The cookie that carries a dashboard session. */
export const SESSION_COOKIE = "lux_session";

export interface AuthOptions {
  /** How long a session lasts after logging in. */
  sessionTtlMs: number;
  /** Sessions kept at most: past it, the oldest is ended. */
  maxSessions: number;
  /** The server is on TLS: the cookie is sent over HTTPS only (`Secure`). */
  secure?: boolean;
  now?: () => number;
}

export class DashboardAuth {
  private readonly tokenDigest: Buffer;
  /** Session id → when it ends (ms); Map order is creation order. */
  private readonly sessions = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    token: string,
    private readonly options: AuthOptions,
  ) {
    this.tokenDigest = tokenDigest(token);
    this.now = options.now ?? Date.now;
  }

  /** Whether `candidate` is the cluster token (constant time). */
  tokenMatches(candidate: unknown): boolean {
    return tokenMatches(this.tokenDigest, candidate);
  }

  /** Whether a request with these headers may pass: a bearer token or a live session cookie. */
  authorized(authorization: string | undefined, cookie: string | undefined): boolean {
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match !== null && this.tokenMatches(match[1] as string);
    }
    const id = cookieValue(cookie, SESSION_COOKIE);
    if (id === undefined) return false;
    const endsAt = this.sessions.get(id);
    if (endsAt === undefined) return false;
    if (endsAt <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** A new session (after a login with the token); returns its id. */
  createSession(): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, this.now() + this.options.sessionTtlMs);
    while (this.sessions.size > this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return id;
  }

  endSession(cookie: string | undefined): void {
    const id = cookieValue(cookie, SESSION_COOKIE);
    if (id !== undefined) this.sessions.delete(id);
  }

  /** The Set-Cookie value of a new session: not readable by scripts, not sent by other sites, ending with the session. */
  sessionCookie(id: string): string {
    return this.cookie(id, Math.floor(this.options.sessionTtlMs / 1000));
  }

  /** The Set-Cookie value that makes a browser forget its session (logging out). */
  clearedCookie(): string {
    return this.cookie("", 0);
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.options.secure === true ? "; Secure" : ""}`;
  }
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
