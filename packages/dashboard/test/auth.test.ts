/** DashboardAuth: bearer tokens compared as digests, sessions that expire and are bounded. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardAuth, cookieValue } from "../src/auth.js";

describe("DashboardAuth", () => {
  const token = "a".repeat(48);

  it("takes the cluster token as a bearer token, and nothing else", () => {
    const auth = new DashboardAuth(token, { sessionTtlMs: 1000, maxSessions: 10 });
    assert.equal(auth.authorized(`Bearer ${token}`, undefined), true);
    assert.equal(auth.authorized(`bearer   ${token} `, undefined), true);
    for (const header of [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, "Bearer", `Basic ${token}`, token, ""]) {
      assert.equal(auth.authorized(header, undefined), false, header);
    }
    assert.equal(auth.authorized(undefined, undefined), false);
    // A wrong bearer token is refused even alongside a valid session.
    const id = auth.createSession();
    assert.equal(auth.authorized("Bearer wrong", `lux_session=${id}`), false);
  });

  it("keeps sessions until they expire, at most maxSessions of them", () => {
    let now = 0;
    const auth = new DashboardAuth(token, { sessionTtlMs: 1000, maxSessions: 2, now: () => now });
    const a = auth.createSession();
    const b = auth.createSession();
    assert.equal(auth.authorized(undefined, `x=1; lux_session=${a}`), true);
    const c = auth.createSession();
    assert.equal(auth.authorized(undefined, `lux_session=${a}`), false, "the oldest session made room");
    assert.equal(auth.authorized(undefined, `lux_session=${b}`), true);
    auth.endSession(`lux_session=${b}`);
    assert.equal(auth.authorized(undefined, `lux_session=${b}`), false);
    now = 1000;
    assert.equal(auth.authorized(undefined, `lux_session=${c}`), false, "expired");
    assert.match(auth.sessionCookie(c), /^lux_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1$/);
  });

  it("marks the cookie Secure under TLS, and clears it with the same attributes", () => {
    const plain = new DashboardAuth(token, { sessionTtlMs: 3600_000, maxSessions: 10 });
    const tls = new DashboardAuth(token, { sessionTtlMs: 3600_000, maxSessions: 10, secure: true });
    const id = tls.createSession();
    assert.match(tls.sessionCookie(id), /^lux_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/);
    assert.doesNotMatch(plain.sessionCookie(id), /Secure/);
    assert.ok(!tls.sessionCookie(id).includes(token), "the cookie carries a session id, never the token");
    assert.equal(tls.clearedCookie(), "lux_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
  });

  it("takes only a string token at login", () => {
    const auth = new DashboardAuth(token, { sessionTtlMs: 1000, maxSessions: 10 });
    assert.equal(auth.tokenMatches(token), true);
    for (const v of [undefined, null, 1, [token], { toString: () => token }, `${token} `, token.toUpperCase()]) assert.equal(auth.tokenMatches(v), false, String(v));
  });

  it("reads one cookie of a Cookie header", () => {
    assert.equal(cookieValue("a=1; lux_session=xyz; b=2", "lux_session"), "xyz");
    assert.equal(cookieValue("lux_sessionx=1", "lux_session"), undefined);
    assert.equal(cookieValue(undefined, "lux_session"), undefined);
  });
});
