/**
 * Requests are checked against their method's schema at dispatch: a bad body (a field
 * missing or of the wrong type, a `__proto__` or `constructor` key) gets an
 * InvalidRequestError naming the method and the field, no handler sees it, and the
 * connection stays open. Every method of the three services is covered.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CoreWorkerService,
  GcsService,
  InvalidRequestError,
  RayletService,
  RpcConnection,
  encodeMessage,
  memoryTransportPair,
  serve,
  type ErrorCodec,
  type ServiceDef,
  type ServiceSpec,
} from "../src/index.js";

/** Errors come back with their name, code and message (what a Lux process's codec keeps). */
const codec: ErrorCodec = {
  encode: (e) => ({ name: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message }),
  decode: (w) => Object.assign(new Error((w as { message: string }).message), w),
};

interface Served {
  client: RpcConnection<ServiceDef>;
  called: string[];
  refused: Error[];
}

/** A connection whose server side serves every method of `service`, recording which handler ran. */
async function serving(service: ServiceSpec, maxMessageDepth?: number): Promise<Served> {
  const called: string[] = [];
  const refused: Error[] = [];
  const handlers: Record<string, () => unknown> = {};
  for (const method of Object.keys(service)) {
    handlers[method] = () => {
      called.push(method);
      return { ok: true };
    };
  }
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, ServiceDef>(b, {
    maxFrameBytes: 1 << 20,
    callTimeoutMs: 10_000,
    handlers: serve(service, handlers as never),
    ...(maxMessageDepth !== undefined ? { maxMessageDepth } : {}),
    errorCodec: codec,
    onInvalidRequest: (e) => refused.push(e),
  });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<ServiceDef>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, errorCodec: codec });
  await client.clientHandshake("t", 1000);
  return { client, called, refused };
}

const rawCall = (c: RpcConnection<ServiceDef>, method: string, body: unknown): Promise<unknown> => c.call(method as never, body as never);

function isInvalid(method: string, problem: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    const error = e as { name?: string; code?: string; message?: string };
    assert.equal(error.name, "InvalidRequestError");
    assert.equal(error.code, InvalidRequestError.code);
    assert.match(error.message ?? "", new RegExp(`^${method} refused its request: `));
    assert.match(error.message ?? "", problem);
    return true;
  };
}

const actorSpec = {
  actorId: "a1",
  jobId: "j1",
  functionId: "f1",
  className: "Counter",
  args: Uint8Array.of(0x90),
  resolved: [],
  borrowed: [],
  ownerAddress: "127.0.0.1:1",
  resources: { CPU: 1 },
  name: undefined,
  namespace: "default",
  getIfExists: false,
  detached: false,
  maxConcurrency: 1,
  maxRestarts: 0,
  gpuIds: [],
};

test("createActor without resources gets InvalidRequestError naming the field; the handler never runs; the connection stays", async () => {
  const { client, called, refused } = await serving(GcsService);
  const { resources: _, ...withoutResources } = actorSpec;
  await assert.rejects(rawCall(client, "createActor", withoutResources), isInvalid("createActor", /resources: expected an object, got nothing/));
  await assert.rejects(rawCall(client, "createActor", { ...actorSpec, resources: { CPU: "1" } }), isInvalid("createActor", /resources\["CPU"\]: expected a number, got a string/));
  await assert.rejects(rawCall(client, "createActor", { ...actorSpec, strategy: { nodeId: 7 } }), isInvalid("createActor", /strategy\.nodeId: expected a string/));
  assert.deepEqual(called, []);
  assert.equal(refused.length, 3, "each refusal is reported to the server's owner (logged)");
  assert.equal(client.state, "open");
  assert.deepEqual(await rawCall(client, "createActor", actorSpec), { ok: true });
  assert.deepEqual(called, ["createActor"]);
  client.close(true);
});

test("a __proto__, constructor or prototype key anywhere is refused and pollutes nothing", async () => {
  const { client, called } = await serving(RayletService);
  const lease = { requestId: "r", jobId: "j", resources: { CPU: 1 }, description: "task f" };
  // As a peer would send it: a msgpack map with the key "__proto__" (JSON.parse keeps it as an own key).
  const polluting = JSON.parse('{"__proto__": {"polluted": true}, "CPU": 1}') as object;
  assert.ok(encodeMessage(polluting).includes(Buffer.from("__proto__")));
  await assert.rejects(rawCall(client, "requestLease", { ...lease, resources: polluting }), isInvalid("requestLease", /resources: the key "__proto_" is not allowed/));
  await assert.rejects(rawCall(client, "requestLease", { ...lease, constructor: { name: "x" } }), isInvalid("requestLease", /the body: the key "constructor" is not allowed/));
  await assert.rejects(
    rawCall(client, "requestLease", { ...lease, runtimeEnv: { envVars: { prototype: "x" } } }),
    isInvalid("requestLease", /runtimeEnv\.envVars: the key "prototype" is not allowed/),
  );
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.deepEqual(called, []);
  assert.deepEqual(await rawCall(client, "requestLease", lease), { ok: true });
  client.close(true);
});

test("a field the method does not declare, or an error payload nested past rpcMaxMessageDepth, is refused", async () => {
  const { client, called } = await serving(CoreWorkerService, 8);
  await assert.rejects(rawCall(client, "cancelTask", { taskId: "t", recursive: false, force: true }), isInvalid("cancelTask", /the body: the key "force" is not one of this message's/));
  let deep: unknown = { name: "E" };
  for (let i = 0; i < 10; i++) deep = { cause: deep };
  const item = { taskId: "t", index: 0, value: Uint8Array.of(0xc0) };
  await assert.rejects(rawCall(client, "pushTask", ["t", ["j", "f", "n", "o"], Uint8Array.of(0x90), 1, [{ index: 0, objectId: "o", error: deep }], 0, 0]), isInvalid("pushTask", /nested too deep \(config rpcMaxMessageDepth\)/));
  assert.deepEqual(await rawCall(client, "reportGeneratorItem", item), { ok: true });
  assert.deepEqual(called, ["reportGeneratorItem"]);
  client.close(true);
});

test("a notification with a bad body is dropped and reported; nothing is replied, the connection stays", async () => {
  const { client, called, refused } = await serving(GcsService);
  client.notify("reportResources" as never, { nodeId: "n", total: { CPU: 1 } } as never);
  assert.deepEqual(await rawCall(client, "kvExists", { key: "k" }), { ok: true }, "later calls are answered in order");
  assert.deepEqual(called, ["kvExists"]);
  assert.equal(refused.length, 1);
  assert.match(refused[0]?.message ?? "", /^reportResources refused its request: available: expected an object, got nothing/);
  client.close(true);
});

test("pushTask's positional wire form is checked too", async () => {
  const { client, called } = await serving(CoreWorkerService);
  await assert.rejects(rawCall(client, "pushTask", ["t", 0, "args", 1, 0, 0, 0]), isInvalid("pushTask", /\[2\]: expected bytes, got a string/));
  await assert.rejects(rawCall(client, "pushTask", { taskId: "t" }), isInvalid("pushTask", /the body: expected an array of 7 to 11, got an object/));
  assert.deepEqual(await rawCall(client, "pushTask", ["t", ["j", "f", "n", "o"], Uint8Array.of(0x90), 1, 0, 0, 0]), { ok: true });
  assert.deepEqual(called, ["pushTask"]);
  client.close(true);
});

for (const [name, service] of [
  ["GcsService", GcsService],
  ["RayletService", RayletService],
  ["CoreWorkerService", CoreWorkerService],
] as const) {
  test(`every method of ${name} refuses a body of the wrong shape before its handler`, async () => {
    const { client, called } = await serving(service);
    const methods = Object.keys(service);
    for (const method of methods) {
      await assert.rejects(rawCall(client, method, "not a request"), isInvalid(method, /the body: expected (an object|an array of 7 to 11), got a string/));
      await assert.rejects(rawCall(client, method, { constructor: 1 }), isInvalid(method, /the body: (the key "constructor" is not allowed|expected an array of 7 to 11, got a non-plain object)/));
    }
    assert.deepEqual(called, [], "no handler saw a refused body");
    assert.equal(client.state, "open");
    client.close(true);
  });
}
