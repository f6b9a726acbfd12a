/** One live progress line per operator (rows done / estimated) on a TTY, with cli-progress. */
import cliProgress from "cli-progress";
import type { Operator } from "./operator.js";

/** Room for an operator's name: with the bar and the counts, a line fits 80 columns. */
const NAME_COLUMNS = 34;

const label = (op: Operator): string => (op.name.length > NAME_COLUMNS ? `${op.name.slice(0, NAME_COLUMNS - 1)}…` : op.name.padEnd(NAME_COLUMNS));

export class Progress {
  private readonly bars: cliProgress.MultiBar;
  private readonly lines: { op: Operator; bar: cliProgress.SingleBar }[];

  constructor(ops: readonly Operator[]) {
    this.bars = new cliProgress.MultiBar(
      { format: "{name} {bar} {value}/{total} rows", barsize: 20, hideCursor: true, clearOnComplete: false, stream: process.stderr, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    this.lines = ops.map((op) => ({ op, bar: this.bars.create(op.estimatedRows ?? 0, 0, { name: label(op) }) }));
  }

  update(): void {
    for (const { op, bar } of this.lines) {
      const rows = op.stats.rows;
      // Once an operator is done its rows are known: the estimate gives way to them.
      bar.setTotal(op.done ? rows : Math.max(op.estimatedRows ?? 0, rows));
      bar.update(rows, { name: label(op) });
    }
  }

  stop(): void {
    this.update();
    this.bars.stop();
  }
}
