/** State API queries are checked the same way by clients and the control service: kinds, fields, operators, `key=value` filters. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STATE_FIELDS } from "@lux/protocol";
import { InvalidStateQueryError, checkStateFilters, checkStateKind, checkSummaryKind, parseStateFilter } from "../src/index.js";

const refused = (part: string, valid?: readonly string[]) => (e: unknown) =>
  e instanceof InvalidStateQueryError && e.part === part && (valid === undefined || e.valid.join() === valid.join());

describe("state queries", () => {
  it("parses key=value and key!=value (the value may hold = and !=)", () => {
    assert.deepEqual(parseStateFilter("tasks", "state=FAILED"), ["state", "=", "FAILED"]);
    assert.deepEqual(parseStateFilter("tasks", "state!=FAILED"), ["state", "!=", "FAILED"]);
    assert.deepEqual(parseStateFilter("tasks", " name = a=b!=c "), ["name", "=", "a=b!=c"]);
    assert.deepEqual(parseStateFilter("actors", "name="), ["name", "=", ""]);
  });

  it("refuses an unknown field, operator or kind, listing every valid one", () => {
    assert.throws(() => parseStateFilter("tasks", "status=FAILED"), refused("field", STATE_FIELDS.tasks));
    assert.throws(() => parseStateFilter("tasks", "state>FAILED"), refused("filter", ["=", "!="]));
    assert.throws(() => parseStateFilter("tasks", "=FAILED"), refused("filter"));
    assert.throws(() => checkStateFilters("nodes", [["state", "~", "x"]]), refused("operator", ["=", "!="]));
    assert.throws(() => checkStateKind("task"), refused("kind", ["tasks", "actors", "objects", "nodes", "jobs", "placement-groups", "workers"]));
    assert.throws(() => checkSummaryKind("nodes"), refused("kind", ["tasks", "actors", "objects"]));
    assert.equal(checkStateKind("placement-groups"), "placement-groups");
  });
});
