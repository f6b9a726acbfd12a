import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  CONFIG_ENTRIES,
  InvalidConfigError,
  config,
  configEnv,
  configEnvVar,
  configSnapshot,
  defineConfig,
  resetConfig,
  setConfig,
} from "../src/index.js";

/** Compile-time equality check. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok?: T): void {}

const touched = new Set<string>();
function setEnv(name: string, value: string): void {
  touched.add(name);
  process.env[name] = value;
}

afterEach(() => {
  for (const name of touched) delete process.env[name];
  touched.clear();
  resetConfig();
});

describe("config", () => {
  test("defaults", () => {
    assert.equal(config("inlineObjectMaxBytes"), 100 * 1024);
    assert.equal(config("maxFrameBytes"), 2 * 1024 ** 3 - 1);
    assert.equal(config("workerLeaseIdleMs"), 20);
    assert.equal(config("workerStartTimeoutMs"), 30_000);
    assert.equal(config("rpcConnectTimeoutMs"), 10_000);
    assert.equal(config("logLevel"), "info");
    assert.equal(config("sessionDirRoot"), "/tmp/lux");
    assert.equal(config("gcsHealthCheckPeriodMs"), 1000);
    assert.equal(config("idleWorkerKeepMs"), 60_000);
    assert.equal(config("maxIdleWorkers"), 0);
  });

  test("types are derived from the declarations", () => {
    expectType<Equal<ReturnType<typeof config<"workerLeaseIdleMs">>, number>>();
    expectType<Equal<ReturnType<typeof config<"sessionDirRoot">>, string>>();
    expectType<Equal<ReturnType<typeof config<"logLevel">>, "debug" | "info" | "warn" | "error">>();
    // @ts-expect-error unknown names do not compile
    assert.throws(() => config("noSuchThing"), /unknown config "noSuchThing"/);
    // @ts-expect-error values must have the entry's type
    assert.throws(() => setConfig("workerLeaseIdleMs", "5"), InvalidConfigError);
  });

  test("env var names are LUX_ + upper snake case", () => {
    assert.equal(configEnvVar("workerLeaseIdleMs"), "LUX_WORKER_LEASE_IDLE_MS");
    assert.equal(configEnvVar("gcsHealthCheckPeriodMs"), "LUX_GCS_HEALTH_CHECK_PERIOD_MS");
    assert.equal(configEnvVar("rpcURLTimeout"), "LUX_RPC_URL_TIMEOUT");
    assert.equal(configEnvVar("maxIdleWorkers2"), "LUX_MAX_IDLE_WORKERS2");
    for (const entry of CONFIG_ENTRIES) assert.match(entry.envVar, /^LUX_[A-Z0-9_]+$/);
  });

  test("every entry has a doc and a unique name", () => {
    assert.equal(new Set(CONFIG_ENTRIES.map((e) => e.name)).size, CONFIG_ENTRIES.length);
    for (const entry of CONFIG_ENTRIES) assert.ok(entry.doc.length > 10, `${entry.name} needs a doc`);
  });

  test("environment overrides", () => {
    setEnv("LUX_WORKER_LEASE_IDLE_MS", " 350 ");
    setEnv("LUX_LOG_LEVEL", "debug");
    setEnv("LUX_SESSION_DIR_ROOT", "/var/lux");
    assert.equal(config("workerLeaseIdleMs"), 350);
    assert.equal(config("logLevel"), "debug");
    assert.equal(config("sessionDirRoot"), "/var/lux");
  });

  test("the environment is read once per entry until resetConfig", () => {
    setEnv("LUX_RPC_CONNECT_TIMEOUT_MS", "5");
    assert.equal(config("rpcConnectTimeoutMs"), 5);
    process.env["LUX_RPC_CONNECT_TIMEOUT_MS"] = "6";
    assert.equal(config("rpcConnectTimeoutMs"), 5);
    resetConfig();
    assert.equal(config("rpcConnectTimeoutMs"), 6);
  });

  test("bad env values throw an error naming the variable and what is accepted", () => {
    const cases: [string, string, RegExp][] = [
      ["LUX_WORKER_LEASE_IDLE_MS", "abc", /expected an integer >= 0/],
      ["LUX_WORKER_LEASE_IDLE_MS", "", /expected an integer >= 0/],
      ["LUX_WORKER_LEASE_IDLE_MS", "-1", /expected an integer >= 0/],
      ["LUX_WORKER_LEASE_IDLE_MS", "1.5", /expected an integer >= 0/],
      ["LUX_WORKER_LEASE_IDLE_MS", "Infinity", /expected an integer >= 0/],
      ["LUX_LOG_LEVEL", "loud", /expected one of "debug", "info", "warn", "error"/],
    ];
    for (const [name, value, expected] of cases) {
      resetConfig();
      setEnv(name, value);
      const key = name === "LUX_LOG_LEVEL" ? "logLevel" : "workerLeaseIdleMs";
      assert.throws(
        () => config(key),
        (e: unknown) => {
          assert.ok(e instanceof InvalidConfigError);
          assert.equal(e.code, "LUX_INVALID_CONFIG");
          assert.equal(e.envVar, name);
          assert.equal(e.key, key);
          assert.equal(e.value, value);
          assert.match(e.message, new RegExp(`environment variable ${name}`));
          assert.match(e.message, expected);
          assert.match(e.message, new RegExp(`Fix or unset ${name}`));
          return true;
        },
      );
    }
  });

  test("setConfig overrides the environment and is validated", () => {
    setEnv("LUX_MAX_IDLE_WORKERS", "4");
    setConfig("maxIdleWorkers", 8);
    assert.equal(config("maxIdleWorkers"), 8);
    assert.throws(() => setConfig("maxIdleWorkers", -1), /invalid value "-1" for config maxIdleWorkers/);
    assert.throws(() => setConfig("logLevel", "loud" as "info"), InvalidConfigError);
    resetConfig();
    assert.equal(config("maxIdleWorkers"), 4);
  });

  test("snapshot and child-process env", () => {
    setEnv("LUX_IDLE_WORKER_KEEP_MS", "1000");
    setConfig("logLevel", "warn");
    const snap = configSnapshot();
    assert.equal(snap.idleWorkerKeepMs, 1000);
    assert.equal(snap.logLevel, "warn");
    assert.equal(Object.keys(snap).length, CONFIG_ENTRIES.length);
    assert.deepEqual(configEnv(), { LUX_IDLE_WORKER_KEEP_MS: "1000", LUX_LOG_LEVEL: "warn" });
  });

  test("booleans accept the usual spellings", () => {
    const flag = defineConfig({ name: "someFlag", type: "boolean", default: false, doc: "test flag" });
    for (const t of ["true", "1", "YES", "on"]) assert.equal(flag.parse(t), true);
    for (const f of ["false", "0", "no", " Off "]) assert.equal(flag.parse(f), false);
    assert.equal(flag.parse("maybe"), undefined);
    assert.equal(flag.envVar, "LUX_SOME_FLAG");
  });

  test("a declaration whose default is invalid fails at once", () => {
    assert.throws(
      () => defineConfig({ name: "bad", type: "number", default: -5, min: 0, doc: "x" }),
      /default -5 is not a number >= 0/,
    );
  });
});
