/** A leased worker the memory monitor may kill. */
export interface OomCandidate {
  readonly workerId: string;
  readonly pid: number;
  /** What the lease was granted for ("task f", "actor C"). */
  readonly description: string;
  /** It hosts an actor (its lease came from the control service). */
  readonly actor: boolean;
  /** Its work runs again if it is killed: a task with retries, an actor with restarts left. */
  readonly retriable: boolean;
  /** Grant order on this node: higher is newer. */
  readonly grantSeq: number;
}

/**
 * Which worker to kill when the node runs out of memory: the newest retriable task, else
 * the newest actor with restarts left, else the newest of any. A retried task loses the
 * least (it runs again, after a pause), and the newest has done the least work so far; an
 * actor loses its state even when it restarts, so it goes after tasks.
 */
export function pickVictim(candidates: readonly OomCandidate[]): OomCandidate | undefined {
  const newest = (pick: (c: OomCandidate) => boolean): OomCandidate | undefined => {
    let best: OomCandidate | undefined;
    for (const c of candidates) if (pick(c) && (best === undefined || c.grantSeq > best.grantSeq)) best = c;
    return best;
  };
  return newest((c) => c.retriable && !c.actor) ?? newest((c) => c.retriable && c.actor) ?? newest(() => true);
}
