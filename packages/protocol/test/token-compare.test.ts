/** tokenMatches: the one comparison of presented cluster tokens (handshakes, HTTP, /metrics). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenDigest, tokenMatches } from "../src/token-compare.js";

test("matches the token only, whatever length or type was presented", () => {
  const token = "ab".repeat(32);
  const expected = tokenDigest(token);
  assert.equal(tokenMatches(expected, token), true);
  for (const given of ["", token.slice(0, -1), `${token}0`, token.toUpperCase(), ` ${token}`, undefined, null, 42, [token], Buffer.from(token)]) {
    assert.equal(tokenMatches(expected, given), false, String(given));
  }
});

test("an empty token is never matched by a missing one", () => {
  assert.equal(tokenMatches(tokenDigest(""), undefined), false);
  assert.equal(tokenMatches(tokenDigest(""), ""), true);
});
