/** The Host and Origin checks of the head's HTTP server (DNS rebinding, other sites' pages). */
import assert from "node:assert/strict";
import { hostname, networkInterfaces } from "node:os";
import { describe, it } from "node:test";
import { allowedHostNames, hostAllowed, hostNameOf, originAllowed, parseHostList } from "../src/host-guard.js";

describe("allowedHostNames", () => {
  it("a loopback bind answers to its address and localhost only", () => {
    const names = allowedHostNames("127.0.0.1");
    assert.deepEqual([...names].sort(), ["127.0.0.1", "localhost"]);
    for (const host of ["127.0.0.1:8265", "localhost:8265", "LOCALHOST", "localhost.:1"]) assert.equal(hostAllowed(names, host), true, host);
    for (const host of ["evil.example:8265", "127.0.0.1.evil.example", "127.0.0.2:8265", "[::1]:8265", "", undefined, "a b", "user@127.0.0.1", "127.0.0.1/x"]) {
      assert.equal(hostAllowed(names, host), false, String(host));
    }
  });

  it("an address of the machine answers to that address (and the configured names), not to localhost", () => {
    const names = allowedHostNames("10.1.2.3", parseHostList(" lux.example.com, head-1 ,,"));
    assert.deepEqual([...names].sort(), ["10.1.2.3", "head-1", "lux.example.com"]);
    assert.equal(hostAllowed(names, "Lux.Example.com:443"), true);
    assert.equal(hostAllowed(names, "localhost:8265"), false);
  });

  it("a wildcard bind answers to every address of the machine and its hostname", () => {
    const names = allowedHostNames("0.0.0.0");
    assert.ok(names.has("localhost") && names.has(hostname().toLowerCase()));
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) assert.ok(names.has(a.address.toLowerCase()), a.address);
    assert.equal(hostAllowed(names, "[::1]:80"), true);
    assert.equal(hostAllowed(names, "rebound.example:80"), false);
    assert.ok(allowedHostNames("::").has("::1"));
  });

  it("reads the name of a Host header", () => {
    assert.equal(hostNameOf("[::1]:8265"), "::1");
    assert.equal(hostNameOf("Example.COM"), "example.com");
    assert.equal(hostNameOf("example.com:99999999"), undefined);
    assert.equal(hostNameOf("[evil]"), undefined);
  });
});

describe("originAllowed", () => {
  const host = "127.0.0.1:8265";
  it("lets every request without an Origin, and every GET, through", () => {
    for (const method of ["GET", "HEAD", "POST", "DELETE"]) assert.equal(originAllowed(method, undefined, host, false), true);
    assert.equal(originAllowed("GET", "http://evil.example", host, false), true);
  });

  it("takes a changing request only from this server's own origin", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      assert.equal(originAllowed(method, "http://127.0.0.1:8265", host, false), true, method);
      for (const origin of ["http://evil.example", "http://127.0.0.1:8266", "https://127.0.0.1:8265", "null", "http://127.0.0.1:8265.evil.example", "not a url"]) {
        assert.equal(originAllowed(method, origin, host, false), false, `${method} ${origin}`);
      }
    }
    assert.equal(originAllowed("POST", "https://127.0.0.1:8265", host, true), true, "under TLS the page is https");
    assert.equal(originAllowed("POST", "http://127.0.0.1:8265", host, true), false);
    assert.equal(originAllowed("POST", "http://127.0.0.1:8265", undefined, false), false);
  });

  it("takes a null Origin only when the browser says the request is same-origin", () => {
    assert.equal(originAllowed("POST", "null", host, false, "same-origin"), true);
    for (const site of [undefined, "cross-site", "same-site", "none"]) assert.equal(originAllowed("POST", "null", host, false, site), false, String(site));
    assert.equal(originAllowed("POST", "http://evil.example", host, false, "same-origin"), false, "a real Origin decides");
  });
});
