/**
 * Whether a function is a generator function (`function*`, `async function*`, or a method
 * declared with `*`): its task or actor call streams what it yields (ObjectRefGenerator).
 * Known from the function itself, as Ray knows it: a plain function that returns a
 * generator object is not one (its result cannot travel).
 */
export function isGeneratorFunction(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  const tag = Object.prototype.toString.call(fn);
  return tag === "[object GeneratorFunction]" || tag === "[object AsyncGeneratorFunction]";
}
