import type { ByValue } from "./function-registry.js";

/**
 * A definition shipped by value failed on a variable it cannot see: say which one, why,
 * and what to do. Any other error passes as it is.
 */
export function explain(e: unknown, byValue: ByValue | undefined, name: string): unknown {
  if (byValue === undefined || !(e instanceof ReferenceError)) return e;
  const local = /^Cannot access '([^']+)' before initialization/.exec(e.message)?.[1];
  if (local !== undefined && byValue.locals.includes(local)) return withMessage(e, capturedLocal(name, local));
  const missing = /^(\S+) is not defined/.exec(e.message)?.[1];
  if (missing === undefined) return e;
  return withMessage(e, `${e.message}: ${notDefined(name, missing, byValue)}`);
}

function capturedLocal(name: string, variable: string): string {
  return (
    `${name} reads "${variable}", a local variable of the function that made it remote. A remote function ` +
    "defined inside a function runs in a worker with its module's imports and top-level declarations, but not " +
    `the local variables around it: pass "${variable}" as an argument, or declare it at the top level of the module.`
  );
}

function notDefined(name: string, variable: string, byValue: ByValue): string {
  if (byValue.scopeUrl !== undefined) {
    return (
      `${name} runs in the scope of its module (${fileOf(byValue.scopeUrl)}), where "${variable}" is neither ` +
      "imported nor declared at the top level, and the worker has no global of that name."
    );
  }
  const shipped = `${name} was shipped by value (as source text), so it cannot see "${variable}" or any other variable defined outside it`;
  if (byValue.entryWithoutMain) {
    return (
      `${shipped}: workers cannot import the entry script, which does not call lux.main. Wrap the script's main ` +
      `code in lux.main(async () => { ... }) so workers can import it (${name} then sees the script's imports and ` +
      "top-level declarations), or move the definition to the top level of a module."
    );
  }
  return `${shipped}, and it was evaluated without its module's scope. Move the lux.remote definition to the top level of an ES module.`;
}

function fileOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

function withMessage(e: ReferenceError, message: string): ReferenceError {
  const better = new ReferenceError(message);
  better.stack = `${better.name}: ${better.message}\n${(e.stack ?? "").split("\n").slice(1).join("\n")}`;
  return better;
}
