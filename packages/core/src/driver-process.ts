import * as fs from "node:fs";
import { pathToFileURL } from "node:url";

/** The URL of the script this process runs (the driver's entry module), if it has one. */
export function entryUrl(): string | undefined {
  const script = process.argv[1];
  if (script === undefined) return undefined;
  try {
    return pathToFileURL(fs.realpathSync(script)).href;
  } catch {
    return undefined;
  }
}

/** The driver's module-loader flags, which its workers need to import the same code. */
export function workerExecArgv(): string[] {
  const keep: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const withValue = ["--import", "--require", "-r", "--loader", "--experimental-loader", "--conditions", "-C"];
    if (withValue.includes(a) && i + 1 < argv.length) {
      keep.push(a, argv[++i] as string);
    } else if (withValue.some((f) => a.startsWith(`${f}=`)) || a === "--enable-source-maps" || a === "--no-warnings" || a.startsWith("--experimental-") || a === "--expose-gc") {
      keep.push(a);
    }
  }
  return keep;
}
