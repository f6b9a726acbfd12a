import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  CONFIG_ENTRIES,
  CONFIG_GROUPS,
  InvalidConfigError,
  adoptClusterConfig,
  applyConfig,
  checkConfig,
  compileConfig,
  config,
  configToEnv,
  defaultConfig,
  nearestConfigName,
  configEnv,
  configEnvVar,
  configSnapshot,
  defineConfig,
  durationMs,
  nonDefaultConfig,
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
    assert.equal(config("maxFrameBytes"), 256 * 1024 ** 2);
    assert.equal(config("rpcHandshakeTimeoutMs"), 5000);
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
    assert.throws(() => config("noSuchThing"), /unknown config entry "noSuchThing"/);
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

  test("durations: a whole number and a unit s, m, h or d (sessionRetention is LUX_SESSION_RETENTION, 7 days by default)", () => {
    const retention = CONFIG_ENTRIES.find((e) => e.name === "sessionRetention");
    assert.equal(retention?.envVar, "LUX_SESSION_RETENTION");
    assert.equal(durationMs(config("sessionRetention")), 7 * 86_400_000);
    for (const [text, ms] of [["90s", 90_000], ["30m", 1_800_000], ["12h", 43_200_000], ["7d", 604_800_000], ["0s", 0]] as const) {
      assert.equal(retention?.parse(` ${text} `), text);
      assert.equal(durationMs(text), ms);
    }
    for (const bad of ["7", "1.5h", "-1d", "7 days", "d", ""]) assert.equal(retention?.parse(bad), undefined, bad);
    assert.throws(() => durationMs("7"), RangeError);
    resetConfig();
    setEnv("LUX_SESSION_RETENTION", "12h");
    assert.equal(config("sessionRetention"), "12h");
    resetConfig();
    setEnv("LUX_SESSION_RETENTION", "a week");
    assert.throws(() => config("sessionRetention"), (e: unknown) => e instanceof InvalidConfigError && /LUX_SESSION_RETENTION.*"7d"/.test(e.message));
    assert.throws(() => setConfig("sessionRetention", "7 days"), InvalidConfigError);
  });

  test("a declaration whose default is invalid fails at once", () => {
    assert.throws(
      () => defineConfig({ name: "bad", type: "number", default: -5, min: 0, doc: "x" }),
      /default -5 is not a number >= 0/,
    );
  });
});

describe("explicit config (systemConfig, --system-config, LocalCluster config)", () => {
  test("an unknown key is refused with a coded error naming the nearest entry", () => {
    const cases: [string, string][] = [
      ["workerLeaseIdelMs", "workerLeaseIdleMs"], // a typo
      ["WorkerLeaseIdleMS", "workerLeaseIdleMs"], // another case
      ["LUX_NODE_DEATH_TIMEOUT_MS", "nodeDeathTimeoutMs"], // the environment variable's spelling
      ["rpc_timeout_ms", "rpcTimeoutMs"], // snake_case
      ["maxInFlightPerWorker", "maxTasksInFlightPerWorker"], // a word left out
    ];
    for (const [given, nearest] of cases) {
      assert.equal(nearestConfigName(given), nearest);
      assert.throws(
        () => checkConfig({ [given]: 1 }),
        (e: unknown) => {
          assert.ok(e instanceof InvalidConfigError);
          assert.equal(e.code, "LUX_INVALID_CONFIG");
          assert.equal(e.key, given);
          assert.equal(e.suggestion, nearest);
          assert.match(e.message, new RegExp(`unknown config entry "${given}": did you mean ${nearest}\\?`));
          return true;
        },
      );
    }
  });

  test("a bad value names the entry and what it accepts", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ workerLeaseIdleMs: -1 }, /invalid value "-1" for config workerLeaseIdleMs: expected an integer >= 0/],
      [{ workerLeaseIdleMs: "20" }, /invalid value "20" for config workerLeaseIdleMs: expected an integer >= 0/],
      [{ workerLeaseIdleMs: 1.5 }, /expected an integer >= 0/],
      [{ localBusyThreshold: 2 }, /for config localBusyThreshold: expected a number >= 0 and <= 1/],
      [{ logLevel: "loud" }, /expected one of "debug", "info", "warn", "error"/],
      [{ rpcTimeoutMs: 0 }, /expected an integer >= 1/],
    ];
    for (const [input, expected] of cases) {
      assert.throws(
        () => checkConfig(input),
        (e: unknown) => e instanceof InvalidConfigError && e.suggestion === undefined && expected.test(e.message),
      );
    }
    for (const notAnObject of [[], "x", 3, null]) assert.throws(() => checkConfig(notAnObject), /an object of config entries/);
    assert.deepEqual(checkConfig({ workerLeaseIdleMs: 5, logLevel: "debug", rpcTimeoutMs: undefined }), { workerLeaseIdleMs: 5, logLevel: "debug" });
  });

  test("precedence: explicit, else the environment variable, else the default", () => {
    const env = { LUX_WORKER_LEASE_IDLE_MS: "350", LUX_RPC_TIMEOUT_MS: "700" };
    const compiled = compileConfig(env, { rpcTimeoutMs: 900 });
    assert.equal(compiled.rpcTimeoutMs, 900, "explicit beats the environment");
    assert.equal(compiled.workerLeaseIdleMs, 350, "the environment beats the default");
    assert.equal(compiled.maxPendingLeaseRequests, 16, "else the default");
    assert.equal(Object.keys(compiled).length, CONFIG_ENTRIES.length, "fully defaulted");
    assert.throws(() => compileConfig({ LUX_RPC_TIMEOUT_MS: "soon" }), /environment variable LUX_RPC_TIMEOUT_MS/);
    assert.throws(() => compileConfig({}, { bogus: 1 } as never), /did you mean/);
  });

  test("applyConfig sets explicit values in this process over the environment, and its undo puts back what was there", () => {
    setEnv("LUX_SPILLBACK_RETRY_MS", "70");
    setConfig("maxLeaseSpillbacks", 3);
    const undo = applyConfig({ spillbackRetryMs: 5, maxLeaseSpillbacks: 4, logLevel: "warn" });
    assert.deepEqual([config("spillbackRetryMs"), config("maxLeaseSpillbacks"), config("logLevel")], [5, 4, "warn"]);
    undo();
    assert.deepEqual([config("spillbackRetryMs"), config("maxLeaseSpillbacks"), config("logLevel")], [70, 3, "info"]);
    assert.throws(() => applyConfig({ spillbackRetryMs: -1 }), InvalidConfigError);
    assert.equal(config("spillbackRetryMs"), 70, "a rejected config changes nothing");
  });

  test("a driver takes its cluster's non-default entries, except those its own environment sets; entries it does not know are left", () => {
    const cluster = nonDefaultConfig(defaultConfig({ spillbackRetryMs: 5, taskEventsRateMax: 7 }));
    assert.deepEqual(cluster, { spillbackRetryMs: 5, taskEventsRateMax: 7 });
    setEnv("LUX_SPILLBACK_RETRY_MS", "70");
    const undo = adoptClusterConfig({ ...cluster, fromANewerVersion: 1 });
    assert.deepEqual([config("spillbackRetryMs"), config("taskEventsRateMax")], [70, 7]);
    undo();
    assert.equal(config("taskEventsRateMax"), 2_000);
    assert.throws(() => adoptClusterConfig({ taskEventsRateMax: -1 }), InvalidConfigError);
  });

  test("child processes get explicit entries as their LUX_* variables", () => {
    assert.deepEqual(configToEnv({ nodeDeathTimeoutMs: 1500, logLevel: "debug" }), { LUX_NODE_DEATH_TIMEOUT_MS: "1500", LUX_LOG_LEVEL: "debug" });
    assert.throws(() => configToEnv({ nodeDeathTimeout: 1 } as never), /did you mean nodeDeathTimeoutMs/);
  });

  test("defaultConfig: every default with some values over them, for tests that build a class", () => {
    setEnv("LUX_MAX_PENDING_LEASE_REQUESTS", "2");
    const c = defaultConfig({ workerLeaseIdleMs: 1 });
    assert.equal(c.workerLeaseIdleMs, 1);
    assert.equal(c.maxPendingLeaseRequests, 16, "the environment is not read");
  });

  test("every entry is in exactly one group", () => {
    const grouped = CONFIG_GROUPS.flatMap((g) => g.entries.map((e) => e.name));
    assert.deepEqual([...grouped].sort(), CONFIG_ENTRIES.map((e) => e.name).sort());
  });
});
