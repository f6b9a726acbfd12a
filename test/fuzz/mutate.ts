/**
 * Mutations of valid inputs: of their bytes (bit flips, interesting bytes, truncation,
 * insertion, duplication, splicing) and of their decoded values (a field of the wrong type,
 * a field too many or missing, `__proto__`/`constructor` keys, nesting far past any bound,
 * huge strings and arrays). Each is cheap: a fuzz run makes thousands a second.
 */
import type { Random } from "./random.js";

/** Bytes that mean something to msgpack or to a length field. */
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc7, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x80, 0x8f, 0xa0, 0xbf];

function flipBits(r: Random, b: Buffer): Buffer {
  const out = Buffer.from(b);
  if (out.length === 0) return out;
  const n = 1 + r.int(8);
  for (let i = 0; i < n; i++) {
    const at = r.int(out.length);
    out[at] = (out[at] as number) ^ (1 << r.int(8));
  }
  return out;
}

function setInteresting(r: Random, b: Buffer): Buffer {
  const out = Buffer.from(b);
  if (out.length === 0) return out;
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) out[r.int(out.length)] = r.pick(INTERESTING_BYTES);
  return out;
}

function truncate(r: Random, b: Buffer): Buffer {
  return b.subarray(0, r.int(b.length + 1));
}

function insert(r: Random, b: Buffer): Buffer {
  const at = r.int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(16)), b.subarray(at)]);
}

function duplicate(r: Random, b: Buffer): Buffer {
  if (b.length === 0) return b;
  const from = r.int(b.length);
  const to = from + 1 + r.int(b.length - from);
  const at = r.int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
}

function remove(r: Random, b: Buffer): Buffer {
  if (b.length === 0) return b;
  const from = r.int(b.length);
  const to = from + 1 + r.int(Math.min(16, b.length - from));
  return Buffer.concat([b.subarray(0, from), b.subarray(to)]);
}

const BYTE_MUTATIONS = [flipBits, flipBits, setInteresting, truncate, insert, duplicate, remove];

/** `b` changed in one to three places. */
export function mutateBytes(r: Random, b: Buffer): Buffer {
  let out = b;
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) out = r.pick(BYTE_MUTATIONS)(r, out);
  return out;
}

/** The start of `a` and the end of `b`. */
export function splice(r: Random, a: Buffer, b: Buffer): Buffer {
  return Buffer.concat([a.subarray(0, r.int(a.length + 1)), b.subarray(r.int(b.length + 1))]);
}

/** A value of a type a schema rarely expects, or at a boundary of the one it does. */
export function oddValue(r: Random): unknown {
  switch (r.int(24)) {
    case 0: return null;
    case 1: return undefined;
    case 2: return r.chance(0.5);
    case 3: return -1;
    case 4: return 2 ** 53 + 2;
    case 5: return -0;
    case 6: return Number.NaN;
    case 7: return Number.POSITIVE_INFINITY;
    case 8: return 1.5;
    case 9: return "";
    case 10: return "x".repeat(1 + r.int(4096));
    case 11: return [];
    case 12: return {};
    case 13: return new Uint8Array(r.int(64));
    case 14: return 2n ** 64n + 1n;
    case 15: return new Date(r.int(2 ** 40));
    case 16: return new Map<unknown, unknown>([["a", 1], [{ k: 1 }, [2]]]);
    case 17: return new Set([1, "a"]);
    case 18: return new Error("fuzz", { cause: { nested: [1] } });
    case 19: return /a+$/;
    case 20: return new Float64Array(2);
    case 21: return nested(r, 64 + r.int(1000));
    case 22: return Array.from({ length: 1 + r.int(20_000) }, () => 0);
    default: return 4294967295;
  }
}

/** Nesting msgpack bytes: `levels` one-item arrays or one-key maps around 1, as bytes (too deep to encode by recursion). */
export function nestedBytes(r: Random, levels: number): Buffer {
  const level = r.chance(0.5) ? Buffer.of(0x91) : Buffer.of(0x81, 0xa1, 0x61);
  return Buffer.concat([Buffer.alloc(levels * level.length).fill(level), Buffer.of(0x01)]);
}

const STRINGS = ["", " ", "0", "-1", "x".repeat(64), "f".repeat(32), "00".repeat(14), "../../../../etc/passwd", "/dev/zero", "\u0000", "é\ud800", "__proto__", "constructor", "127.0.0.1:1", "[::1]:0", "/tmp/lux-fuzz.sock", "http://169.254.169.254/"];
const NUMBERS = [0, -0, 1, -1, 0.5, 7, 255, 256, 65_535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/**
 * A value of the same type as `v` but another one (a string for a string, a number for a
 * number, …): what gets past a request's schema into its handler.
 */
export function sameTypeValue(r: Random, v: unknown): unknown {
  if (typeof v === "string") return r.chance(0.05) ? "x".repeat(r.int(100_000)) : r.chance(0.3) ? v + r.bytes(1 + r.int(8)).toString("hex") : r.pick(STRINGS);
  if (typeof v === "number") return r.pick(NUMBERS);
  if (typeof v === "boolean") return !v;
  if (v instanceof Uint8Array) return r.chance(0.8) ? r.bytes(r.int(64)) : Buffer.alloc(r.int(70_000), r.int(256));
  if (Array.isArray(v)) {
    if (v.length === 0 || r.chance(0.3)) return [];
    return r.chance(0.5) ? [...v, ...v] : Array.from({ length: 1 + r.int(5000) }, () => v[0]);
  }
  return v;
}

/** `levels` of arrays or objects around a value: deeper than any message should be. */
export function nested(r: Random, levels: number): unknown {
  let v: unknown = 1;
  const asObject = r.chance(0.5);
  for (let i = 0; i < levels; i++) v = asObject ? { a: v } : [v];
  return v;
}

/** Keys that poison objects that are merged or looked up without care. */
const POISON_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "then"];

/** An object with an own key named `key` (an object literal would set the prototype for `__proto__`). */
function withOwnKey(base: object, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) out[k] = v;
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

type Container = Record<string, unknown> | unknown[];

/** Every object and array in `v` (not past 16 levels), with `v` itself first if it is one. */
function containers(v: unknown, out: Container[] = [], depth = 0): Container[] {
  if (depth > 16 || typeof v !== "object" || v === null || v instanceof Uint8Array) return out;
  if (Array.isArray(v)) out.push(v);
  else if (Object.getPrototypeOf(v) === Object.prototype) out.push(v as Record<string, unknown>);
  else return out;
  for (const item of Object.values(v)) containers(item, out, depth + 1);
  return out;
}

/** A deep copy of plain objects and arrays (other values are shared). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) out[k] = copy(item);
    return out;
  }
  return v;
}

/** One structural change somewhere in `value`: what a peer with a bug (or a grudge) sends. */
export function mutateValue(r: Random, value: unknown): unknown {
  const root = copy(value);
  const all = containers(root);
  if (all.length === 0 || r.chance(0.05)) return oddValue(r);
  const target = r.pick(all);
  const keys = Object.keys(target);
  const key = keys.length > 0 ? r.pick(keys) : "0";
  if (r.chance(0.5) && keys.length > 0) {
    (target as Record<string, unknown>)[key] = sameTypeValue(r, (target as Record<string, unknown>)[key]);
    return root;
  }
  switch (r.int(6)) {
    case 0:
    case 1:
      (target as Record<string, unknown>)[key] = oddValue(r);
      return root;
    case 2:
      if (Array.isArray(target)) target.splice(r.int(target.length + 1), r.int(2), oddValue(r));
      else delete target[key];
      return root;
    case 3:
      if (Array.isArray(target)) target.push(oddValue(r));
      else target[r.chance(0.5) ? "extra" : `k${r.int(100)}`] = oddValue(r);
      return root;
    case 4: {
      const poisoned = withOwnKey({}, r.pick(POISON_KEYS), r.chance(0.5) ? { polluted: true } : oddValue(r));
      if (Array.isArray(target)) target.push(poisoned);
      else (target as Record<string, unknown>)[key] = poisoned;
      return target === root && !Array.isArray(root) ? withOwnKey(root as object, r.pick(POISON_KEYS), { polluted: true }) : root;
    }
    default:
      (target as Record<string, unknown>)[key] = nested(r, 32 + r.int(200));
      return root;
  }
}
