/** Small pieces of the fake Kubernetes API server: label selectors, Status bodies, watchers. */
import type { FakePod } from "./fake-kubelet.js";

/** An open watch: events go out as JSON lines. */
export interface Watcher {
  send(type: "ADDED" | "MODIFIED" | "DELETED", pod: FakePod): void;
  end(): void;
}

const REASONS: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "AlreadyExists",
  410: "Expired",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

/** A Kubernetes Status object, as the API server answers errors. */
export function statusBody(code: number, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: REASONS[code] ?? "Unknown", code };
}

/**
 * Whether labels match a labelSelector: comma-separated `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k` (exists) and `!k`.
 */
export function selectorMatches(selector: string | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined || selector.trim() === "") return true;
  const l = labels ?? {};
  for (const term of splitTerms(selector)) {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(t)) !== null) {
      if (l[m[1] as string] === m[2]) return false;
    } else if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(t)) !== null) {
      if (l[m[1] as string] !== m[2]) return false;
    } else if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(t)) !== null) {
      const values = (m[3] as string).split(",").map((v) => v.trim());
      const value = l[m[1] as string];
      const inside = value !== undefined && values.includes(value);
      if ((m[2] === "in") !== inside) return false;
    } else if (t.startsWith("!")) {
      if (t.slice(1) in l) return false;
    } else if (!(t in l)) return false;
  }
  return true;
}

/** Terms split on commas outside parentheses. */
function splitTerms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.filter((t) => t.trim() !== "");
}
