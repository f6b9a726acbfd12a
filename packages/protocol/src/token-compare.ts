/**
 * The one way Lux compares a presented cluster token with the real one (RPC handshakes, the
 * head's HTTP server, raylets' `/metrics`): both sides hashed, then compared with
 * `timingSafeEqual`, so neither the time taken nor an early exit tells how much of a guess
 * was right, and the lengths need not match.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The digest a token is compared by; compute the expected one once and keep it. */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Whether `given` is the token whose digest is `expected`, in constant time; false for anything not a string. */
export function tokenMatches(expected: Buffer, given: unknown): boolean {
  const candidate = tokenDigest(typeof given === "string" ? given : "");
  return timingSafeEqual(candidate, expected) && typeof given === "string";
}
