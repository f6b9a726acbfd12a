/** How the dashboard writes ids, amounts, sizes and times. */

/** The first 8 characters of an id (the full id goes in a title). */
export function shortId(id: string | null | undefined): string {
  return id === null || id === undefined ? "—" : id.slice(0, 8);
}

/** The host of a HOST:PORT address (an IPv6 host keeps its brackets off). */
export function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon) : address;
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function bytes(n: number): string {
  let v = n;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return unit === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[unit] as string}`;
}

/** A resource amount: whole numbers as they are, fractions with up to 2 decimals. */
export function amount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, "");
}

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  const pad = (x: number, w = 2): string => String(x).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return minutes < 60 ? `${minutes} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** A resource set as "CPU 2, GPU 1, memory 1.0 GiB". */
export function resources(r: Record<string, number>): string {
  const parts = Object.entries(r).map(([k, v]) => `${k} ${k === "memory" || k === "object_store_memory" ? bytes(v) : amount(v)}`);
  return parts.length === 0 ? "—" : parts.join(", ");
}
