/**
 * What `read*` functions take: files, folders (every file in them, recursively, hidden ones
 * left out) or globs (`*`, `?`, `**`). Expanded in the caller's process, in order; a path
 * that gives no file is DataPathNotFoundError at the call.
 */
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { DataPathNotFoundError } from "lux";

export function expandPaths(paths: string | readonly string[], extension: string): string[] {
  const list = typeof paths === "string" ? [paths] : [...paths];
  if (list.length === 0) throw new DataPathNotFoundError({ path: "", reason: "no path was given" });
  const files: string[] = [];
  for (const p of list) files.push(...expandOne(p, extension));
  return files;
}

function expandOne(p: string, extension: string): string[] {
  if (/[*?]/.test(p)) {
    const matches = glob(path.resolve(p));
    if (matches.length === 0) throw new DataPathNotFoundError({ path: p, reason: "the glob matches no file" });
    return matches;
  }
  const full = path.resolve(p);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw new DataPathNotFoundError({ path: p, reason: "no such file or folder" });
  }
  if (!isDir) return [full];
  const inside = filesUnder(full).filter((f) => extension === "" || f.endsWith(extension) || !path.basename(f).includes("."));
  if (inside.length === 0) throw new DataPathNotFoundError({ path: p, reason: `the folder holds no ${extension || ""} file` });
  return inside;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Files matching an absolute glob pattern, sorted. */
function glob(pattern: string): string[] {
  const parts = pattern.split(path.sep);
  const fixed = parts.findIndex((s) => /[*?]/.test(s));
  const base = parts.slice(0, fixed).join(path.sep) || path.sep;
  const re = new RegExp(`^${parts.slice(fixed).map(segmentRegex).join("/")}$`);
  let candidates: string[];
  try {
    candidates = filesUnder(base);
  } catch {
    return [];
  }
  return candidates.filter((f) => re.test(path.relative(base, f).split(path.sep).join("/")));
}

function segmentRegex(segment: string): string {
  if (segment === "**") return "(?:.*)";
  return segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
}
