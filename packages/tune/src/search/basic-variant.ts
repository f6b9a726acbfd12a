/**
 * The default searcher: random search and grid search. Each of the `numSamples` samples is the
 * grid (every combination of the `gridSearch` axes, the first axis changing slowest) with the
 * other domains drawn anew for each config; points to evaluate come first, one per sample,
 * their values fixed. The same seed gives the same configs.
 */
import { InvalidOptionError } from "lux";
import { Rng } from "./rng.js";
import { FINISHED, PERSIST, type PersistedSearcher, type SearchProperties, type Searcher } from "./searcher.js";
import { crossGrid, flatten, gridAxes, isPlainObject, resolveConfig, type ParamSpace } from "./space.js";

export interface BasicVariantGeneratorOptions {
  /** Configs (or parts of them) to run first, one sample each; the values they leave out are drawn. */
  pointsToEvaluate?: Record<string, unknown>[];
  /** Seeds the draws (default: tuneConfig.seed, else random). */
  seed?: number;
}

export class BasicVariantGenerator implements Searcher {
  private readonly points: Record<string, unknown>[];
  private seed: number | undefined;
  private space: ParamSpace = {};
  private queue: Record<string, unknown>[] | undefined;
  private numSamples = 1;
  private emitted = 0;

  constructor(options: BasicVariantGeneratorOptions = {}) {
    if (!isPlainObject(options as unknown)) throw new InvalidOptionError({ option: "BasicVariantGenerator options", expected: "an object", received: options });
    const points = options.pointsToEvaluate ?? [];
    if (!Array.isArray(points) || !points.every(isPlainObject)) {
      throw new InvalidOptionError({ option: "pointsToEvaluate", expected: "an array of (partial) configs", received: points });
    }
    this.points = points;
    this.seed = options.seed;
  }

  setSearchProperties(p: SearchProperties): void {
    this.space = p.paramSpace;
    this.numSamples = p.numSamples;
    this.seed ??= p.seed;
  }

  /** How many configs it gives in all: numSamples times the grid's size. */
  get total(): number {
    return this.numSamples * crossGrid(gridAxes(this.space)).length;
  }

  suggest(): Record<string, unknown> | typeof FINISHED {
    this.queue ??= this.generate().slice(this.emitted);
    const next = this.queue.shift();
    if (next === undefined) return FINISHED;
    this.emitted++;
    return next;
  }

  private generate(): Record<string, unknown>[] {
    const rng = new Rng(this.seed);
    const axes = gridAxes(this.space);
    const out: Record<string, unknown>[] = [];
    for (let sample = 0; sample < this.numSamples; sample++) {
      const point = this.points[sample];
      const fixed = new Map(Object.entries(point === undefined ? {} : flatten(point)));
      for (const combo of crossGrid(axes.filter((a) => !fixed.has(a.path.join("/"))))) {
        out.push(resolveConfig(this.space, rng, new Map([...combo, ...fixed])));
      }
    }
    return out;
  }

  [PERSIST](): PersistedSearcher {
    return { type: "BasicVariantGenerator", options: { pointsToEvaluate: this.points, seed: this.seed }, state: { emitted: this.emitted } };
  }

  /** Continues after the configs it gave before (Tuner.restore). */
  restoreState(state: unknown): void {
    this.emitted = Number((state as { emitted?: unknown } | null)?.emitted ?? 0);
    this.queue = undefined;
  }
}
