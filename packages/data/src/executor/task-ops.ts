/**
 * Operators that run tasks: a read (a streaming generator task per read task spec, with the
 * map steps fused into it) and a map step (a plain task per input block, or per bundle of
 * blocks that reaches the step's batch size, giving one block).
 */
import type { MapOp, TaskCompute } from "../plan.js";
import type { ReadTaskSpec } from "../sources/source-spec.js";
import { checkSameSchema, type SchemaFields } from "../schema.js";
import { mapBlockTask, readTask } from "../tasks.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { taskFailure } from "./generator-reader.js";
import { MAX_RECOMPUTES, isLost, isNodeLost, remakeInputs } from "./lineage.js";
import { Operator, type WorkOutputs } from "./operator.js";
import { blockOfTaskRun, readRun, stopRun, type TaskRun } from "./task-run.js";

/** Items a read task may yield ahead of the executor: one block and its metadata. */
const BACKPRESSURE_ITEMS = 2;

/** Starts a task on its input blocks. */
type Submit = (inputs: readonly Bundle[]) => TaskRun;

abstract class TaskOp extends Operator {
  private readonly running = new Set<TaskRun>();
  chain: MapOp[] = [];

  constructor(
    name: string,
    exec: ExecutionHooks,
    upstream: readonly Operator[],
    readonly compute: TaskCompute,
  ) {
    super(name, exec, upstream);
  }

  get active(): number {
    return this.running.size;
  }

  override get cpusPerLaunch(): number {
    return this.compute.numCpus;
  }

  override get maxConcurrency(): number {
    return this.compute.concurrency ?? Infinity;
  }

  /** Fuses a map step into this operator's tasks. */
  fuse(step: MapOp): void {
    this.chain.push(step);
    this.stats.name = `${this.stats.name}->${step.name}`;
  }

  /** Checks a block before it goes on (throws to fail the execution). */
  protected check(_bundle: Bundle): void {}

  /** Runs a task (`submit` starts it on its inputs) until it ended; `inputs` are freed then. */
  protected follow(submit: Submit, blockKey: string, inputs: readonly Bundle[]): void {
    const work: WorkOutputs = this.startWork();
    this.stats.tasks++;
    this.run(submit, inputs, work)
      .catch((e: unknown) => {
        // A stopped operator's tasks were cancelled on purpose.
        if (!this.stopped) this.exec.fail(taskFailure(e, this.name, blockKey));
      })
      .finally(() => {
        this.exec.release(inputs);
        this.finishWork(work);
      });
  }

  /**
   * One task; if its inputs were lost with their node before it started, they are made again
   * and it runs again; so it does if its own node died under it before it gave a block.
   */
  private async run(submit: Submit, inputs: readonly Bundle[], work: WorkOutputs): Promise<void> {
    let current = inputs;
    try {
      await this.attempts(submit, work, (remade) => (current = remade), () => current);
    } finally {
      // Inputs made again after a loss are freed once the task ended (the originals by `follow`).
      if (current !== inputs) this.exec.release(current);
    }
  }

  private async attempts(submit: Submit, work: WorkOutputs, setInputs: (b: readonly Bundle[]) => void, inputs: () => readonly Bundle[]): Promise<void> {
    const original = inputs();
    for (let attempt = 0; ; attempt++) {
      const current = inputs();
      const run = submit(current);
      const made = current;
      const recipe = (index: number): (() => Promise<Bundle>) => async () => blockOfTaskRun(submit(await remakeInputs(made)), index, recipe(index));
      let outputs = 0;
      this.running.add(run);
      try {
        const onBlock = (b: Bundle, index: number): void => {
          const withRecipe: Bundle = { ...b, recompute: recipe(index) };
          this.check(withRecipe);
          outputs++;
          this.addOutput(work, withRecipe);
        };
        await readRun(run, this.exec, this.isSource ? () => this.blockBytesEstimate : undefined, onBlock, () => this.stopped);
        return;
      } catch (e) {
        const again = isNodeLost(e) || (isLost(e) && current.length > 0);
        if (!again || outputs > 0 || attempt >= MAX_RECOMPUTES) throw e;
        // A node lost under the task: the same inputs again (if they went with it, the next run says so).
        if (!isLost(e)) continue;
        if (current !== original) this.exec.release(current);
        const remade = await remakeInputs(current);
        this.exec.hold(remade);
        setInputs(remade);
      } finally {
        this.running.delete(run);
      }
    }
  }

  override async shutdown(): Promise<void> {
    await Promise.all([...this.running].map(stopRun));
  }
}

export class ReadOp extends TaskOp {
  private readonly queue: ReadTaskSpec[];
  private launched = 0;
  /** The schema of the first file (in the read's order) seen so far, which the others must have. */
  private reference: { index: number; file: string; schema: SchemaFields } | undefined;
  private readonly fileIndex = new Map<string, number>();

  constructor(name: string, exec: ExecutionHooks, tasks: readonly ReadTaskSpec[], compute: TaskCompute) {
    super(name, exec, [], compute);
    this.queue = [...tasks];
    this.upstreamDone = true;
    tasks.forEach((t, i) => t.kind !== "range" && this.fileIndex.set(t.path, i));
  }

  /** A CSV or JSON file's own schema must be the first file's: else SchemaMismatchError naming it. */
  protected override check(bundle: Bundle): void {
    const origin = bundle.meta.origin;
    if (origin === undefined || bundle.meta.numRows === 0) return;
    const index = this.fileIndex.get(origin.file) ?? 0;
    const ref = this.reference;
    if (ref === undefined || index < ref.index) {
      if (ref !== undefined) checkSameSchema(ref.schema, origin.schema, `file "${ref.file}"`, `file "${origin.file}" (the first)`);
      this.reference = { index, file: origin.file, schema: origin.schema };
      return;
    }
    if (index !== ref.index) checkSameSchema(origin.schema, ref.schema, `file "${origin.file}"`, `file "${ref.file}" (the first)`);
  }

  override get isSource(): boolean {
    return true;
  }

  canLaunch(): boolean {
    return this.queue.length > 0 && !this.stopped;
  }

  /** Read tasks not started yet. */
  get remainingTasks(): number {
    return this.queue.length;
  }

  launch(): void {
    const spec = this.queue.shift() as ReadTaskSpec;
    const key = String(this.launched++);
    const chain = this.chain;
    const options = { numCpus: this.compute.numCpus, maxRetries: this.compute.maxRetries, generatorBackpressureNumObjects: BACKPRESSURE_ITEMS };
    const submit: Submit = () => readTask.options(options).remote(spec, chain, this.exec.settings.targetMaxBlockSize, key);
    this.follow(submit, `${key} (${spec.kind === "range" ? `ids ${spec.start}..${spec.end - 1}` : spec.path})`, []);
  }

  protected override hasNoMoreWork(): boolean {
    return this.queue.length === 0;
  }
}

export class TaskMapOp extends TaskOp {
  private launched = 0;

  /**
   * Two tasks per CPU: the second waits in the leased worker (core pipelines it) and starts the
   * moment the first ends, instead of after its reply reached the executor and a new task came
   * back (that round trip left workers idle between small blocks). Reads stay one per CPU: a
   * read in flight is data the budget has not counted yet.
   */
  override get launchesPerSlot(): number {
    return 2;
  }

  /** Rows a task's input should reach: the first step's batch size, when it asks for one. */
  private get minRows(): number {
    const first = this.chain[0];
    return first?.kind === "mapBatches" && first.batchSize !== undefined ? first.batchSize : 1;
  }

  canLaunch(): boolean {
    if (this.inputs.length === 0 || this.stopped) return false;
    if (this.upstreamDone) return true;
    let rows = 0;
    for (const b of this.inputs) if ((rows += b.meta.numRows) >= this.minRows) return true;
    return false;
  }

  launch(): void {
    const take: Bundle[] = [];
    let rows = 0;
    while (this.inputs.length > 0 && (take.length === 0 || rows < this.minRows)) {
      const b = this.inputs.shift() as Bundle;
      take.push(b);
      rows += b.meta.numRows;
    }
    const key = String(this.launched++);
    const chain = this.chain;
    const options = { numCpus: this.compute.numCpus, maxRetries: this.compute.maxRetries, numReturns: 2 as const };
    const submit: Submit = (inputs) => mapBlockTask.options(options).remote(chain, key, ...inputs.map((b) => b.ref));
    this.follow(submit, key, take);
  }
}
