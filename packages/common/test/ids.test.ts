import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import {
  ID_HEX_LENGTH,
  MAX_RETURN_INDEX,
  isId,
  isOwnActorCallTaskId,
  isPutObjectId,
  newActorCallTaskId,
  newActorId,
  newJobId,
  newNodeId,
  newPutObjectId,
  newTaskId,
  newWorkerId,
  objectIdFor,
  returnIndexOfObject,
  taskIdOfObject,
} from "../src/index.js";

const HEX = /^[0-9a-f]+$/;

describe("ids", () => {
  test("each kind has its length and is lowercase hex", () => {
    const cases = [
      ["job", newJobId],
      ["node", newNodeId],
      ["worker", newWorkerId],
      ["actor", newActorId],
      ["task", newTaskId],
      ["object", newPutObjectId],
    ] as const;
    for (const [kind, make] of cases) {
      const id = make();
      assert.match(id, HEX);
      assert.equal(id.length, ID_HEX_LENGTH[kind], kind);
      assert.ok(isId(kind, id));
    }
  });

  test("actor calls' task ids are task ids their process tells apart from other tasks'", () => {
    const call = newActorCallTaskId();
    const task = newTaskId();
    assert.ok(isId("task", call));
    assert.notEqual(call, task);
    assert.equal(isOwnActorCallTaskId(call), true);
    assert.equal(isOwnActorCallTaskId(newActorCallTaskId()), true);
    assert.equal(isOwnActorCallTaskId(task), false);
    assert.equal(isOwnActorCallTaskId(taskIdOfObject(objectIdFor(call, 0)) as string), true);
  });

  test("ids are unique within a process", () => {
    const n = 20_000;
    for (const make of [newTaskId, newPutObjectId, newActorId, newWorkerId]) {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(make());
      assert.equal(seen.size, n);
    }
  });

  test("a series' task ids count up by one, across the 256-id blocks that share their first 22 digits", () => {
    const ids = Array.from({ length: 700 }, newTaskId);
    const prefixes = new Set(ids.map((id) => id.slice(0, 16)));
    // One prefix, unless its 2^32 counter ran out in between (then two).
    assert.ok(prefixes.size <= 2);
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1] as string, ids[i] as string];
      assert.ok(isId("task", b), b);
      if (a.slice(0, 16) !== b.slice(0, 16)) continue;
      assert.equal(Number.parseInt(b.slice(16), 16), Number.parseInt(a.slice(16), 16) + 1, `${a} then ${b}`);
    }
  });

  test("task ids are unique across processes", () => {
    const script =
      'import { newTaskId } from "./packages/common/src/index.ts"; console.log(JSON.stringify(Array.from({ length: 1000 }, newTaskId)));';
    const child = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: new URL("../../../", import.meta.url),
        encoding: "utf8",
      }),
    ) as string[];
    const all = [...child, ...Array.from({ length: 1000 }, newTaskId)];
    assert.equal(new Set(all).size, all.length);
  });

  test("object ids are derived from the task id and index", () => {
    const taskId = newTaskId();
    const a = objectIdFor(taskId, 0);
    assert.equal(a, objectIdFor(taskId, 0));
    assert.notEqual(a, objectIdFor(taskId, 1));
    assert.notEqual(a, objectIdFor(newTaskId(), 0));
    assert.equal(a.length, ID_HEX_LENGTH.object);
    assert.ok(a.startsWith(taskId));
    assert.equal(taskIdOfObject(a), taskId);
    assert.equal(returnIndexOfObject(objectIdFor(taskId, 300)), 300);
    assert.equal(returnIndexOfObject(objectIdFor(taskId, MAX_RETURN_INDEX)), MAX_RETURN_INDEX);
    assert.equal(isPutObjectId(a), false);
  });

  test("objectIdFor rejects bad input", () => {
    const taskId = newTaskId();
    assert.throws(() => objectIdFor(taskId, -1), RangeError);
    assert.throws(() => objectIdFor(taskId, 1.5), RangeError);
    assert.throws(() => objectIdFor(taskId, MAX_RETURN_INDEX + 1), RangeError);
    assert.throws(() => objectIdFor("abc", 0), RangeError);
  });

  test("put object ids never collide with return object ids", () => {
    const put = newPutObjectId();
    assert.ok(isPutObjectId(put));
    assert.equal(taskIdOfObject(put), undefined);
    assert.equal(returnIndexOfObject(put), undefined);
  });

  test("isId checks input from peers", () => {
    assert.equal(isId("task", "x".repeat(24)), false);
    assert.equal(isId("task", newTaskId().toUpperCase()), false);
    assert.equal(isId("task", 42), false);
    assert.equal(isId("node", newTaskId()), false);
  });
});
