/**
 * Bounds how many worker processes boot at once; the rest wait their turn, in order.
 *
 * Why: a worker's start is mostly CPU (loading Node, Lux, the job's loader and modules).
 * A burst of leases (100 actors created at once) started all at once on a small machine
 * shares its cores so thinly that workers miss their registration deadline and are killed.
 * Queued starts spawn nothing, so their deadline starts only when they do.
 */
export class StartGate<Tag> {
  private booting = 0;
  private readonly waiting: { tag: Tag; go(): void; drop(error: Error): void }[] = [];

  constructor(private readonly limit: number) {}

  /** Starts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `start` once fewer than `limit` starts are booting; its slot frees when the
   * promise it returns settles (the worker registered, exited, or could not spawn).
   */
  run<T>(tag: Tag, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = (): void => {
        this.booting++;
        let started: Promise<T>;
        try {
          started = start();
        } catch (e) {
          started = Promise.reject(e as Error);
        }
        started.then(resolve, reject).finally(() => {
          this.booting--;
          this.waiting.shift()?.go();
        });
      };
      if (this.booting < this.limit) go();
      else this.waiting.push({ tag, go, drop: reject });
    });
  }

  /** Drops the queued starts `match` accepts (never spawned): each rejects with `error`. */
  drop(match: (tag: Tag) => boolean, error: Error): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i];
      if (w === undefined || !match(w.tag)) continue;
      this.waiting.splice(i, 1);
      w.drop(error);
    }
  }
}
