import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { type LogLevel, createLogger, resetConfig, setConfig, setLogLevel, setLogSink, useLogFile } from "../src/index.js";

let lines: { line: string; level: LogLevel }[] = [];

beforeEach(() => {
  lines = [];
  setLogSink((line, level) => lines.push({ line, level }));
  setLogLevel(undefined);
  resetConfig();
});

afterEach(() => {
  setLogSink(undefined);
  setLogLevel(undefined);
  resetConfig();
});

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

describe("logger", () => {
  test("writes one formatted line per call", () => {
    const log = createLogger("raylet");
    log.warn("lease expired", { worker: "ab12", idleMs: 200, ok: false });
    assert.equal(lines.length, 1);
    const { line, level } = lines[0] ?? assert.fail();
    assert.equal(level, "warn");
    assert.match(line, STAMP);
    assert.equal(line.replace(STAMP, ""), "WARN raylet: lease expired worker=ab12 idleMs=200 ok=false");
  });

  test("each level has its label", () => {
    setLogLevel("debug");
    const log = createLogger("gcs");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assert.deepEqual(
      lines.map((l) => l.line.replace(STAMP, "")),
      ["DEBUG gcs: d", "INFO gcs: i", "WARN gcs: w", "ERROR gcs: e"],
    );
  });

  test("the level comes from config logLevel", () => {
    const log = createLogger("core");
    log.debug("hidden at the default level (info)");
    log.info("shown");
    assert.equal(lines.length, 1);
    assert.equal(log.enabled("debug"), false);

    setConfig("logLevel", "error");
    setLogLevel(undefined); // re-read config
    log.warn("hidden");
    log.error("shown");
    assert.equal(lines.length, 2);
    assert.equal(log.enabled("error"), true);
  });

  test("a bad LUX_LOG_LEVEL is reported once and info is used", () => {
    process.env["LUX_LOG_LEVEL"] = "loud";
    try {
      const log = createLogger("x");
      log.debug("hidden");
      log.info("shown");
      assert.equal(lines.length, 2);
      assert.match(lines[0]?.line ?? "", /WARN logger: invalid value "loud" for environment variable LUX_LOG_LEVEL/);
      assert.match(lines[1]?.line ?? "", /INFO x: shown$/);
    } finally {
      delete process.env["LUX_LOG_LEVEL"];
    }
  });

  test("setLogLevel overrides config", () => {
    setLogLevel("debug");
    createLogger("x").debug("now visible");
    assert.equal(lines.length, 1);
  });

  test("field values are quoted when needed and lines stay single", () => {
    const log = createLogger("x");
    const err = Object.assign(new RangeError("too big"), { code: "E_BIG" });
    log.info("first\nsecond", {
      path: "/tmp/a b",
      empty: "",
      quote: 'say "hi"',
      nothing: undefined,
      nil: null,
      big: 10n,
      obj: { a: [1, 2] },
      err,
    });
    const text = (lines[0] ?? assert.fail()).line.replace(STAMP, "");
    assert.equal(
      text,
      'INFO x: first\\nsecond path="/tmp/a b" empty="" quote="say \\"hi\\"" nothing=undefined nil=null big=10 ' +
        'obj={"a":[1,2]} err="RangeError: too big [E_BIG]"',
    );
    assert.ok(!text.includes("\n"));
  });

  test("unserializable fields do not throw", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    createLogger("x").info("m", { cyclic });
    assert.match((lines[0] ?? assert.fail()).line, /cyclic="\[unserializable\]"$/);
  });

  test("writes to stderr by default", (t) => {
    setLogSink(undefined);
    const written: string[] = [];
    t.mock.method(process.stderr, "write", (chunk: string) => {
      written.push(chunk);
      return true;
    });
    createLogger("x").error("to stderr");
    t.mock.restoreAll();
    assert.equal(written.length, 1);
    assert.match(written[0] ?? "", / ERROR x: to stderr\n$/);
  });

  test("useLogFile appends lines to a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lux-log-"));
    try {
      const file = join(dir, "logs", "raylet.log");
      useLogFile(file);
      createLogger("raylet").info("one");
      createLogger("raylet").info("two");
      const content = readFileSync(file, "utf8").split("\n");
      assert.equal(content.length, 3);
      assert.match(content[0] ?? "", /INFO raylet: one$/);
      assert.match(content[1] ?? "", /INFO raylet: two$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
