/**
 * Object transfer between nodes on loopback (issue 25 point 3): `npx tsx bench/transfer.ts`
 * (after a build). See transfer-figures.ts for what is measured: an object pulled to another
 * node beside a raw TCP stream between two plain Node processes in the same run, and one
 * object read by actors on every node at once against the single pull.
 *
 * Options: --mib N (object size, default 1024), --nodes N (default 8), --runs N (timed reads
 * of each kind after the first, default 3), --json (one line of JSON instead of the table).
 */
import { flag } from "./flags.js";
import { printTransfer, transferFigures } from "./transfer-figures.js";

const figures = await transferFigures({ bytes: flag("mib", 1024) * 2 ** 20, nodes: flag("nodes", 8), runs: flag("runs", 3) });
if (process.argv.includes("--json")) console.log(JSON.stringify(figures));
else printTransfer(figures);
