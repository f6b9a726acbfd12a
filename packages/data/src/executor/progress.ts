/** One live progress line per operator (rows done / estimated) on a TTY, with cli-progress. */
import cliProgress from "cli-progress";
import type { Operator } from "./operator.js";

export class Progress {
  private readonly bars: cliProgress.MultiBar;
  private readonly lines: { op: Operator; bar: cliProgress.SingleBar }[];

  constructor(ops: readonly Operator[]) {
    this.bars = new cliProgress.MultiBar(
      { format: "{name} {bar} {value}/{total} rows", hideCursor: true, clearOnComplete: false, stream: process.stderr, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    this.lines = ops.map((op) => ({ op, bar: this.bars.create(op.estimatedRows ?? 0, 0, { name: op.name.padEnd(24).slice(0, 40) }) }));
  }

  update(): void {
    for (const { op, bar } of this.lines) {
      const rows = op.stats.rows;
      bar.setTotal(Math.max(op.estimatedRows ?? 0, rows));
      bar.update(rows, { name: op.name.slice(0, 40) });
    }
  }

  stop(): void {
    this.update();
    this.bars.stop();
  }
}
