/**
 * A counting gate: at most `limit` holders at once, the others wait in arrival order. A
 * replica runs at most maxOngoingRequests requests through its gate, whichever handles and
 * proxies send them.
 */
export class Gate {
  private holders = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private limit: number) {}

  /** Requests running (holders) and waiting. */
  get ongoing(): number {
    return this.holders + this.waiters.length;
  }

  get running(): number {
    return this.holders;
  }

  /** Resolves once the caller holds a place; synchronous when one is free. */
  enter(): Promise<void> | undefined {
    if (this.holders < this.limit) {
      this.holders++;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  leave(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.holders--;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    while (this.holders < this.limit && this.waiters.length > 0) {
      this.holders++;
      (this.waiters.shift() as () => void)();
    }
  }
}
