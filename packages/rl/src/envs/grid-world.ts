/**
 * GridWorld: a size × size grid; the agent starts at `start`, moves up (0), right (1), down (2)
 * or left (3), stays in place against a wall or the border, earns +1 on the goal and -1 in a
 * pit (both end the episode) and -0.01 for every other step. The observation is the cell's
 * index, row * size + col (a Discrete space); episodes are truncated after `maxEpisodeSteps`.
 */
import { InvalidEnvConfigError } from "lux";
import type { Env, ResetResult, StepResult } from "../env.js";
import { Discrete } from "../spaces.js";

export type Cell = readonly [row: number, col: number];

export interface GridWorldConfig {
  size?: number;
  walls?: readonly Cell[];
  pits?: readonly Cell[];
  goal?: Cell;
  start?: Cell;
  maxEpisodeSteps?: number;
}

const MOVES: readonly Cell[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];
const STEP_REWARD = -0.01;

export class GridWorld implements Env<number, number> {
  readonly observationSpace: Discrete;
  readonly actionSpace = new Discrete(4);
  readonly size: number;
  readonly goal: Cell;
  readonly start: Cell;
  readonly walls: ReadonlySet<number>;
  readonly pits: ReadonlySet<number>;
  readonly maxEpisodeSteps: number;
  private cell = 0;
  private steps = 0;

  constructor(config: GridWorldConfig = {}) {
    const size = config.size ?? 5;
    if (!Number.isInteger(size) || size < 2) throw bad("size", `must be an integer ≥ 2, got ${String(size)}`);
    this.size = size;
    this.observationSpace = new Discrete(size * size);
    this.start = this.checkCell("start", config.start ?? [0, 0]);
    this.goal = this.checkCell("goal", config.goal ?? [size - 1, size - 1]);
    this.walls = this.cellSet("walls", config.walls ?? []);
    this.pits = this.cellSet("pits", config.pits ?? []);
    this.maxEpisodeSteps = config.maxEpisodeSteps ?? 4 * size * size;
    if (!Number.isInteger(this.maxEpisodeSteps) || this.maxEpisodeSteps <= 0) throw bad("maxEpisodeSteps", "must be a positive integer");
    for (const [name, cell] of [["start", this.start], ["goal", this.goal]] as const) {
      const i = this.index(cell);
      if (this.walls.has(i) || this.pits.has(i)) throw bad(name, `[${cell.join(", ")}] is on a wall or a pit`);
    }
    if (this.index(this.start) === this.index(this.goal)) throw bad("goal", "is the start cell");
  }

  reset(): ResetResult<number> {
    this.cell = this.index(this.start);
    this.steps = 0;
    return { obs: this.cell, info: {} };
  }

  step(action: number): StepResult<number> {
    const move = MOVES[action];
    if (move === undefined || !Number.isInteger(action)) throw new RangeError(`GridWorld: action ${String(action)} is not in Discrete(4)`);
    const row = Math.floor(this.cell / this.size) + move[0];
    const col = (this.cell % this.size) + move[1];
    if (row >= 0 && row < this.size && col >= 0 && col < this.size && !this.walls.has(row * this.size + col)) this.cell = row * this.size + col;
    this.steps++;
    const atGoal = this.cell === this.index(this.goal);
    const inPit = this.pits.has(this.cell);
    const reward = atGoal ? 1 : inPit ? -1 : STEP_REWARD;
    const terminated = atGoal || inPit;
    return { obs: this.cell, reward, terminated, truncated: !terminated && this.steps >= this.maxEpisodeSteps, info: {} };
  }

  /** The number of moves of a shortest path from start to goal (breadth-first), or undefined if none. */
  shortestPathLength(): number | undefined {
    const goal = this.index(this.goal);
    const dist = new Map<number, number>([[this.index(this.start), 0]]);
    const queue = [this.index(this.start)];
    for (let q = 0; q < queue.length; q++) {
      const c = queue[q] as number;
      const d = dist.get(c) as number;
      if (c === goal) return d;
      for (const [dr, dc] of MOVES) {
        const r = Math.floor(c / this.size) + dr;
        const k = (c % this.size) + dc;
        const n = r * this.size + k;
        if (r < 0 || r >= this.size || k < 0 || k >= this.size || this.walls.has(n) || this.pits.has(n) || dist.has(n)) continue;
        dist.set(n, d + 1);
        queue.push(n);
      }
    }
    return undefined;
  }

  private index(cell: Cell): number {
    return cell[0] * this.size + cell[1];
  }

  private checkCell(field: string, cell: unknown): Cell {
    const ok =
      Array.isArray(cell) && cell.length === 2 && cell.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < this.size);
    if (!ok) throw bad(field, `must be [row, col] inside the ${this.size}×${this.size} grid, got ${JSON.stringify(cell)}`);
    return [cell[0], cell[1]] as Cell;
  }

  private cellSet(field: string, cells: unknown): Set<number> {
    if (!Array.isArray(cells)) throw bad(field, `must be a list of [row, col], got ${JSON.stringify(cells)}`);
    return new Set(cells.map((c, i) => this.index(this.checkCell(`${field}[${i}]`, c))));
  }
}

function bad(field: string, problem: string): InvalidEnvConfigError {
  return new InvalidEnvConfigError({ env: "GridWorld", field, problem });
}
