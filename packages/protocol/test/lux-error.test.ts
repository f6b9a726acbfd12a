/**
 * defineError and LuxError: a declared class's code, name, fields and message; subclasses;
 * the registry; and `instanceof` across two copies of the package (this source and its
 * build are two module instances, as two installed copies of lux would be).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrorCode, LuxError, RpcTimeoutError, ConnectionClosedError, defineError, errorClassForCode } from "../src/index.js";

/** Codes of the classes declared here only (not in ERROR_CODES: the real ones are all taken). */
const testCode = (code: string): ErrorCode => code as ErrorCode;

const ParentError = defineError(
  testCode("LUX_TEST_PARENT"),
  "ParentError",
  (f: { readonly id: string; readonly note?: string }) => `parent ${f.id}${f.note !== undefined ? ` (${f.note})` : ""}: do this next`,
);
const ChildError = defineError(
  testCode("LUX_TEST_CHILD"),
  "ChildError",
  (f: { readonly id: string; readonly depth: number }) => `child ${f.id} at depth ${f.depth}`,
  { extends: ParentError },
);
const MappedError = defineError(
  testCode("LUX_TEST_MAPPED"),
  "MappedError",
  (f: { readonly name: string; readonly secret?: string; readonly cause: unknown }, fields: { cause: Error }) =>
    `mapped ${f.name}: ${fields.cause.message}`,
  { fields: (f) => ({ label: f.name, cause: f.cause instanceof Error ? f.cause : new Error(String(f.cause)) }) },
);
const AllOptionalError = defineError(testCode("LUX_TEST_OPTIONAL"), "AllOptionalError", (f: { readonly op?: string }) => `op ${f.op ?? "none"}`);

describe("defineError", () => {
  test("a declared class has its code, name, own fields and message", () => {
    const e = new ParentError({ id: "p1", note: "n" });
    assert.equal(e.code, "LUX_TEST_PARENT");
    assert.equal(ParentError.code, "LUX_TEST_PARENT");
    assert.equal(e.name, "ParentError");
    assert.equal(ParentError.name, "ParentError");
    assert.equal(e.message, "parent p1 (n): do this next");
    assert.deepEqual(Object.keys(e), ["code", "id", "note"]);
    assert.equal(e.id, "p1");
    assert.match(e.stack ?? "", /^ParentError: parent p1/);
    assert.ok(e instanceof ParentError && e instanceof LuxError && e instanceof Error);
    assert.ok(!Object.keys(e).includes("name"));
    assert.equal(errorClassForCode("LUX_TEST_PARENT"), ParentError);
  });

  test("undefined fields are left out; the given cause becomes error.cause, not a field", () => {
    const cause = new TypeError("root");
    const e = new ParentError({ id: "p2", cause });
    assert.deepEqual(Object.keys(e), ["code", "id"]);
    assert.equal(e.cause, cause);
    assert.equal(Object.getOwnPropertyDescriptor(e, "cause")?.enumerable, false);
    assert.ok(!("cause" in new ParentError({ id: "p3" })));
  });

  test("a fields function maps the input; a cause it returns becomes error.cause", () => {
    const e = new MappedError({ name: "m", secret: "s", cause: "plain text" });
    assert.deepEqual(Object.keys(e), ["code", "label"]);
    assert.equal(e.label, "m");
    assert.ok(e.cause instanceof Error);
    assert.equal(e.message, "mapped m: plain text");
  });

  test("the argument is optional when every field is", () => {
    assert.equal(new AllOptionalError().message, "op none");
    assert.equal(new AllOptionalError({ op: "x" }).op, "x");
  });

  test("a class that extends another: its instances are the parent's, not the other way round", () => {
    const child = new ChildError({ id: "c", depth: 2 });
    assert.equal(child.code, "LUX_TEST_CHILD");
    assert.equal(child.message, "child c at depth 2");
    assert.ok(child instanceof ChildError && child instanceof ParentError && child instanceof LuxError);
    assert.ok(!(new ParentError({ id: "p" }) instanceof ChildError));
    assert.equal(Object.getPrototypeOf(ChildError.prototype), ParentError.prototype);
  });

  test("an undeclared subclass matches only its own instances", () => {
    class LocalError extends ParentError {}
    const local = new LocalError({ id: "l" });
    assert.equal(local.code, "LUX_TEST_PARENT");
    assert.ok(local instanceof LocalError && local instanceof ParentError);
    assert.ok(!(new ParentError({ id: "p" }) instanceof LocalError));
  });

  test("a code declared twice by two classes is refused; extends takes only declared classes", () => {
    assert.throws(() => defineError(testCode("LUX_TEST_PARENT"), "OtherError", () => "x"), /LUX_TEST_PARENT is declared twice \(ParentError and OtherError\)/);
    class Plain extends LuxError {}
    assert.throws(() => defineError(testCode("LUX_TEST_BAD_PARENT"), "BadError", () => "x", { extends: Plain }), /only a class made by defineError/);
  });
});

describe("instanceof across copies of the package", () => {
  test("an error made by the built copy is an instance of this copy's class with its code, and of nothing else", async () => {
    const built = (await import("../dist/index.js")) as typeof import("../src/index.js");
    assert.notEqual(built.RpcTimeoutError, RpcTimeoutError, "the build must be a separate module instance");
    const theirs = new built.RpcTimeoutError({ method: "getNodes", peer: "127.0.0.1:1", timeoutMs: 5 });
    assert.ok(!Object.prototype.isPrototypeOf.call(RpcTimeoutError.prototype, theirs));
    assert.ok(theirs instanceof RpcTimeoutError);
    assert.ok(theirs instanceof LuxError);
    assert.ok(!(theirs instanceof ConnectionClosedError));
    assert.ok(!(theirs instanceof ParentError));
    const ours = new ConnectionClosedError({ peer: "p" });
    assert.ok(ours instanceof built.ConnectionClosedError && ours instanceof built.LuxError);
    assert.ok(!(ours instanceof built.RpcTimeoutError));
  });

  test("non-errors and look-alikes are not instances", () => {
    for (const value of [undefined, null, 42, "LUX_RPC_TIMEOUT", {}, { code: "LUX_RPC_TIMEOUT" }, new Error("plain")]) {
      assert.ok(!(value instanceof RpcTimeoutError), String(value));
      assert.ok(!(value instanceof LuxError), String(value));
    }
    const codeOnly = Object.assign(new Error("x"), { code: "LUX_RPC_TIMEOUT" });
    assert.ok(!(codeOnly instanceof RpcTimeoutError));
  });
});
