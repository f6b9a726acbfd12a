/** Values shown in error messages: short, with their type, whatever they are. */
export function describeValue(v: unknown): string {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number>;
    const items = Array.from({ length: Math.min(a.length, 8) }, (_, i) => String(a[i]));
    return `${v.constructor.name} [${items.join(", ")}${a.length > 8 ? `, … (${a.length} in all)` : ""}]`;
  }
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(describeValue).join(", ")}${v.length > 8 ? `, … (${v.length} in all)` : ""}]`;
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "object" && v !== null) return `an object (${v.constructor?.name ?? "Object"})`;
  return String(v);
}

/** "Name: message" of a thrown value, for another error's message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : describeValue(e);
}
