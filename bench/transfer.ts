/**
 * Object transfer between nodes on loopback (issue 25 point 3, issue 17 point 8):
 * `npx tsx bench/transfer.ts` (after a build). See transfer-figures.ts for what is measured:
 * an object pulled to another node beside a raw TCP stream between two plain Node processes
 * in the same run, one object read by actors on every node at once against the single pull,
 * and the pull over TLS against AES-128-GCM and a raw TLS stream.
 *
 * Options: --mib N (object size, default 1024), --nodes N (default 8), --runs N (timed reads
 * of each kind after the first, default 3), --json (one line of JSON instead of the table),
 * --quick (32 MiB, 3 nodes, 1 run: seconds, for CI's smoke run; figures not meaningful).
 */
import { flag } from "./flags.js";
import { printTransfer, transferFigures, transferOptions } from "./transfer-figures.js";

const figures = await transferFigures(transferOptions(flag));
if (process.argv.includes("--json")) console.log(JSON.stringify(figures));
else printTransfer(figures);
