/**
 * Issue 24 point 7: typed errors at the boundary. The public API is called in many wrong
 * ways (before init, after shutdown, twice, with bad options, bad addresses, peers that are
 * not Lux, workers that cannot start, …): each fails with a coded LuxError (or a TypeError /
 * RangeError for a wrongly typed argument) whose message names the problem; never a plain
 * Error, a connection error (ConnectionClosedError, RpcTimeoutError) or an internal error.
 * `init` refuses bad options before it starts anything.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { PlainActor, identity } from "./fixtures/errors-fns.js";

/** What a probe must end with: an error class and a message naming the problem; or "ok". */
type Expect = { error: abstract new (...args: never[]) => Error; message: RegExp } | "ok";

/** Connection-level and internal codes that must never reach a user. */
const LEAKED_CODES = new Set(["LUX_CONNECTION_CLOSED", "LUX_RPC_TIMEOUT", "LUX_INTERNAL"]);

/** Runs `call` (and awaits what it returns), then checks how it ended. */
async function probe(label: string, call: () => unknown, expect: Expect): Promise<void> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await call() };
  } catch (error) {
    outcome = { error };
  }
  if (expect === "ok") {
    assert.ok("value" in outcome, `${label}: expected success, got ${String((outcome as { error: unknown }).error)}`);
    return;
  }
  assert.ok("error" in outcome, `${label}: expected ${expect.error.name}, but it succeeded`);
  const e = outcome.error;
  assert.ok(e instanceof Error, `${label}: threw a non-error ${String(e)}`);
  const typed = e instanceof TypeError || e instanceof RangeError;
  assert.ok(e instanceof lux.LuxError || typed, `${label}: a plain ${e.name} reached the user: ${e.message}`);
  if (e instanceof lux.LuxError) {
    assert.ok(!LEAKED_CODES.has(e.code), `${label}: ${e.code} reached the user: ${e.message}`);
    assert.equal(e.name, e.constructor.name, label);
  }
  assert.ok(e instanceof expect.error, `${label}: expected ${expect.error.name}, got ${e.name}: ${e.message}`);
  assert.match(e.message, expect.message, `${label}: the message does not name the problem`);
}

const invalid = (option: string): Expect => ({ error: lux.InvalidOptionError, message: new RegExp(`invalid option ${option.replace(/[.()]/g, "\\$&")}:`) });
const notInitialized = (operation: string): Expect => ({ error: lux.NotInitializedError, message: new RegExp(`^${operation.replace(/[.()]/g, "\\$&")}\\(\\) was called but Lux is not initialized`) });

/** A TCP server that is not Lux: `behaviour` says what it does with a connection. */
async function fakePeer(behaviour: "silent" | "close" | "http"): Promise<{ address: string; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    if (behaviour === "close") s.destroy();
    if (behaviour === "http") s.end("HTTP/1.1 400 Bad Request\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe("before init", () => {
  test("every call that needs a cluster fails with NotInitializedError naming it", async () => {
    await probe("get", () => lux.get(undefined as never), notInitialized("lux.get"));
    await probe("put", () => lux.put(1), notInitialized("lux.put"));
    await probe("wait", () => lux.wait([]), notInitialized("lux.wait"));
    await probe("task", () => identity.remote(1), notInitialized("identity.remote"));
    await probe("actor", () => PlainActor.remote(), notInitialized("Plain.remote"));
    await probe("nodes", () => lux.nodes(), notInitialized("lux.nodes"));
    await probe("clusterResources", () => lux.clusterResources(), notInitialized("lux.clusterResources"));
    await probe("getActor", () => lux.getActor("x"), notInitialized("lux.getActor"));
    await probe("getRuntimeContext", () => lux.getRuntimeContext(), notInitialized("lux.getRuntimeContext"));
    await probe("exitActor", () => lux.exitActor(), { error: lux.NotInActorError, message: /inside an actor's method/ });
    await probe("shutdown", () => lux.shutdown(), "ok");
  });

  test("wrongly typed arguments are TypeErrors naming the argument", async () => {
    await probe("remote(42)", () => lux.remote(42 as never), { error: TypeError, message: /lux\.remote\(\) takes a function or a class, got number/ });
    await probe("kill('x')", () => lux.kill("x"), { error: TypeError, message: /lux\.kill\(\) takes an actor handle, got string/ });
    await probe("cancel('x')", () => lux.cancel("x" as never), { error: TypeError, message: /lux\.cancel\(\) takes an ObjectRef or an ObjectRefGenerator, got string/ });
    await probe("init(5)", () => lux.init(5 as never), { error: TypeError, message: /lux\.init\(\) takes an options object, got number/ });
    await probe("init(null)", () => lux.init(null as never), { error: TypeError, message: /lux\.init\(\) takes an options object, got null/ });
    await probe("init([])", () => lux.init([] as never), { error: TypeError, message: /options object, got an array/ });
  });
});

describe("init refuses bad options before starting anything", () => {
  const cases: [string, () => unknown, Expect][] = [
    ["an unknown option", () => lux.init({ bogus: 1 } as never), invalid("bogus")],
    ["objectStoreMemory -1", () => lux.init({ objectStoreMemory: -1 }), invalid("objectStoreMemory")],
    ["objectStoreMemory 0", () => lux.init({ objectStoreMemory: 0 }), invalid("objectStoreMemory")],
    ["objectStoreMemory 1.5", () => lux.init({ objectStoreMemory: 1.5 }), invalid("objectStoreMemory")],
    ["objectStoreMemory '1GB'", () => lux.init({ objectStoreMemory: "1GB" as never }), invalid("objectStoreMemory")],
    ["objectStoreMemory NaN", () => lux.init({ objectStoreMemory: Number.NaN }), invalid("objectStoreMemory")],
    ["objectStoreMemory beyond /dev/shm", () => lux.init({ objectStoreMemory: 2 ** 52 }), { error: lux.InvalidOptionError, message: /objectStoreMemory: expected at most \d+ bytes, what \/dev\/shm can hold/ }],
    ["resources 5", () => lux.init({ resources: 5 as never }), invalid("resources")],
    ["resources x: -1", () => lux.init({ resources: { x: -1 } }), invalid("resources.x")],
    ["resources x: NaN", () => lux.init({ resources: { x: Number.NaN } }), invalid("resources.x")],
    ["resources x: 'a'", () => lux.init({ resources: { x: "a" as never } }), invalid("resources.x")],
    ["resources x: Infinity", () => lux.init({ resources: { x: Number.POSITIVE_INFINITY } }), invalid("resources.x")],
    ["resources CPU", () => lux.init({ resources: { CPU: 2 } }), { error: lux.InvalidOptionError, message: /resources\.CPU: expected numCpus instead/ }],
    ["numCpus '2'", () => lux.init({ numCpus: "2" as never }), invalid("numCpus")],
    ["numGpus -1", () => lux.init({ numGpus: -1 }), invalid("numGpus")],
    ["labels with a lux.io/ key", () => lux.init({ labels: { "lux.io/node-id": "x" } }), invalid("labels.lux.io/node-id")],
    ["labels with a bad value", () => lux.init({ labels: { zone: "a b" } }), invalid("labels.zone")],
    ["address and labels", () => lux.init({ address: "127.0.0.1:1", labels: { zone: "a" } }), invalid("labels")],
    ["namespace 5", () => lux.init({ namespace: 5 as never }), invalid("namespace")],
    ["namespace ''", () => lux.init({ namespace: "" }), invalid("namespace")],
    ["runtimeEnv 5", () => lux.init({ runtimeEnv: 5 as never }), invalid("runtimeEnv")],
    ["runtimeEnv missing dir", () => lux.init({ runtimeEnv: { workingDir: "/nonexistent/lux-probe" } }), invalid("runtimeEnv.workingDir")],
    ["systemConfig unknown entry", () => lux.init({ systemConfig: { bogus: 1 } as never }), { error: lux.InvalidConfigError, message: /unknown config entry "bogus"/ }],
    ["systemConfig bad value", () => lux.init({ systemConfig: { rpcTimeoutMs: -5 } }), { error: lux.InvalidConfigError, message: /rpcTimeoutMs: expected an integer >= 1/ }],
    ["address 5", () => lux.init({ address: 5 as never }), invalid("address")],
    ["address without a port", () => lux.init({ address: "nonsense" }), invalid("address")],
    ["address with a bad port", () => lux.init({ address: "localhost:notaport" }), invalid("address")],
    ["address port out of range", () => lux.init({ address: "127.0.0.1:99999" }), invalid("address")],
    ["address and node resources", () => lux.init({ address: "127.0.0.1:1", numCpus: 1 }), invalid("numCpus")],
    ["address and systemConfig", () => lux.init({ address: "127.0.0.1:1", systemConfig: { rpcTimeoutMs: 5 } }), invalid("systemConfig")],
  ];
  for (const [label, call, expect] of cases) {
    test(label, async () => {
      await probe(label, call, expect);
      assert.equal(lux.isInitialized(), false, `${label}: init connected anyway`);
    });
  }
});

describe("init with an address that is not a Lux cluster", () => {
  const token = process.env["LUX_TOKEN"];
  before(() => {
    process.env["LUX_TOKEN"] = "probe-token";
  });
  after(() => {
    if (token === undefined) delete process.env["LUX_TOKEN"];
    else process.env["LUX_TOKEN"] = token;
  });

  test("no token for the address is an InitError saying how to give one", async () => {
    delete process.env["LUX_TOKEN"];
    try {
      await probe("no token", () => lux.init({ address: "127.0.0.1:1" }), { error: lux.InitError, message: /no token for the cluster at 127\.0\.0\.1:1: set LUX_TOKEN/ });
    } finally {
      process.env["LUX_TOKEN"] = "probe-token";
    }
  });

  test("nothing listening, an unknown host, a silent peer, a peer that hangs up, an HTTP server: ConnectFailedError", async () => {
    await probe("refused", () => lux.init({ address: "127.0.0.1:1" }), { error: lux.ConnectFailedError, message: /cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED/ });
    await probe("unknown host", () => lux.init({ address: "no-such-host.invalid:1234" }), { error: lux.ConnectFailedError, message: /cannot connect to no-such-host\.invalid:1234/ });
    for (const behaviour of ["close", "http", "silent"] as const) {
      const peer = await fakePeer(behaviour);
      try {
        await probe(`a ${behaviour} peer`, () => lux.init({ address: peer.address }), { error: lux.ConnectFailedError, message: new RegExp(`cannot connect to ${peer.address}: .*is a Lux`) });
      } finally {
        peer.close();
      }
      assert.equal(lux.isInitialized(), false);
    }
  });
});

describe("with a cluster", () => {
  let cluster: LocalCluster | undefined;
  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 2 } });
  });
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  test("a wrong token is a ProtocolError saying so", async () => {
    const token = process.env["LUX_TOKEN"];
    process.env["LUX_TOKEN"] = "not-the-token";
    try {
      await probe("wrong token", () => lux.init({ address: (cluster as LocalCluster).address }), { error: lux.ProtocolError, message: /wrong or missing cluster token/ });
    } finally {
      if (token === undefined) delete process.env["LUX_TOKEN"];
      else process.env["LUX_TOKEN"] = token;
    }
  });

  test("misuse while connected fails with coded errors or TypeErrors", async () => {
    await lux.init({ address: (cluster as LocalCluster).address });
    await probe("double init", () => lux.init(), { error: lux.InitError, message: /already called in this process; call lux\.shutdown\(\) first/ });
    await probe("get('x')", () => lux.get("x" as never), { error: TypeError, message: /lux\.get\(\) takes an ObjectRef or an array of ObjectRefs, got string/ });
    await probe("get([1])", () => lux.get([1] as never), { error: TypeError, message: /element 0 is number, not an ObjectRef/ });
    await probe("get timeoutMs -1", () => lux.get(identity.remote(1), { timeoutMs: -1 }), invalid("timeoutMs"));
    await probe("get timed out", () => lux.get(identity.options({ resources: { nowhere: 1 } }).remote(1), { timeoutMs: 200 }), { error: lux.GetTimeoutError, message: /get timed out after 200 ms/ });
    await probe("wait numReturns 0", () => lux.wait([identity.remote(1)], { numReturns: 0 }), invalid("numReturns"));
    await probe("wait('x')", () => lux.wait("x" as never), { error: TypeError, message: /lux\.wait\(\) takes an array of ObjectRefs/ });
    await probe("put(ref)", () => lux.put(identity.remote(1)), { error: TypeError, message: /lux\.put\(\) was given an ObjectRef/ });
    await probe("put(function)", () => lux.put(() => 1), { error: lux.SerializationError, message: /value is a function/ });
    await probe("put(symbol)", () => lux.put(Symbol("s")), { error: lux.SerializationError, message: /value is a symbol/ });
    await probe("a function argument", () => identity.remote((() => 1) as never), { error: lux.SerializationError, message: /argument 1 of identity: value is a function/ });
    await probe("task options", () => identity.options({ bogus: 1 } as never), invalid("bogus"));
    await probe("runtimeEnv envVars", () => identity.options({ runtimeEnv: { envVars: { A: 5 as never } } }), invalid("runtimeEnv.envVars.A"));
    await probe("hard affinity to no node", () => lux.get(identity.options({ schedulingStrategy: { nodeId: "ffff", soft: false } }).remote(1)), { error: lux.NodeAffinityError, message: /must run on node ffff/ });
    await probe("getActor(5)", () => lux.getActor(5 as never), { error: TypeError, message: /lux\.getActor\(\) takes an actor's name \(a string\), got number/ });
    await probe("getActor missing", () => lux.getActor("missing"), { error: lux.ActorNotFoundError, message: /no actor named "missing"/ });
    await probe("kill('x')", () => lux.kill("x"), { error: TypeError, message: /takes an actor handle/ });
    const workerFails = { runtimeEnv: { envVars: { NODE_OPTIONS: "--require /nonexistent/lux-probe.cjs" } } };
    await probe("a task whose worker cannot start", () => lux.get(identity.options({ maxRetries: 0, ...workerFails }).remote(1)), { error: lux.LeaseFailedError, message: /could not lease a worker for task identity: worker process exited/ });
    await probe("an actor whose worker cannot start", () => lux.get(PlainActor.options(workerFails).remote().ping.remote()), { error: lux.ActorDiedError, message: /could not get a worker for the actor/ });
    const named = PlainActor.options({ name: "probe" }).remote();
    await probe("a live actor", () => lux.get(named.ping.remote()), "ok");
    await probe("a name taken", () => PlainActor.options({ name: "probe" }).remote(), { error: lux.ActorNameTakenError, message: /already exists/ });
    await probe("method options", () => named.ping.options({ numReturns: -1 }), invalid("numReturns"));
    await lux.kill(named);
    await probe("a killed actor", () => lux.get(named.ping.remote()), { error: lux.ActorDiedError, message: /killed with lux\.kill\(\)/ });
    const ref = identity.remote(1);
    const actor = PlainActor.remote();
    await lux.get(actor.ping.remote());
    await lux.shutdown();
    await probe("get after shutdown", () => lux.get(ref), notInitialized("lux.get"));
    await probe("task after shutdown", () => identity.remote(1), notInitialized("identity.remote"));
    await probe("actor call after shutdown", () => actor.ping.remote(), notInitialized("ping.remote"));
    await probe("kill after shutdown", () => lux.kill(actor), notInitialized("lux.kill"));
    await lux.init({ address: (cluster as LocalCluster).address });
    await probe("a ref of the previous connection", () => lux.get(ref), { error: lux.OwnerDiedError, message: /its owner at .* died/ });
    await probe("an actor of the previous connection", () => lux.get(actor.ping.remote()), { error: lux.ActorDiedError, message: /its owner \(the driver\) exited/ });
    await probe("shutdown twice", async () => {
      await lux.shutdown();
      await lux.shutdown();
    }, "ok");
  });
});
