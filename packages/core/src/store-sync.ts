import { Worker } from "node:worker_threads";
import { RpcTimeoutError, fromWireError, type TlsFiles } from "@lux/common";

/** Result slots shared with the helper thread: [state, code] ints, then the offset as a float. */
const STATE = 0;
const CODE = 1;
const TEXT_BYTES = 64 * 1024;

/**
 * Creates objects in the node's store synchronously, so `lux.put` can return with the
 * value already copied into the arena (one copy). The raylet is asked by a helper thread
 * while this thread waits on an Atomics cell; the raylet answers at once (offset -1 when
 * there is no room right now, and the caller then stages the value and waits async).
 */
export class SyncObjectCreator {
  private worker: Worker | undefined;
  private readonly shared = new SharedArrayBuffer(16 + TEXT_BYTES);
  private readonly ints = new Int32Array(this.shared, 0, 2);
  private readonly offset = new Float64Array(this.shared, 8, 1);
  private readonly text = new Uint8Array(this.shared, 16, TEXT_BYTES);

  constructor(
    private readonly rayletAddress: string,
    private readonly token: string,
    /** The process's TLS files: the helper thread does not see config set in this thread. */
    private readonly tls: TlsFiles | undefined,
  ) {}

  /** The offset of the new object, or -1 if the store has no room right now. */
  create(objectId: string, size: number, ownerAddress: string, timeoutMs: number): number {
    const worker = this.ensureWorker();
    Atomics.store(this.ints, STATE, 0);
    worker.postMessage({ objectId, size, ownerAddress });
    if (Atomics.wait(this.ints, STATE, 0, timeoutMs) === "timed-out" && Atomics.load(this.ints, STATE) === 0) {
      throw new RpcTimeoutError({ method: `createObject (${size} bytes)`, peer: this.rayletAddress, timeoutMs });
    }
    if (Atomics.load(this.ints, CODE) !== 0) {
      const n = this.text.indexOf(0);
      throw fromWireError(JSON.parse(new TextDecoder().decode(this.text.slice(0, n < 0 ? TEXT_BYTES : n))));
    }
    return this.offset[0] as number;
  }

  /**
   * Tells the raylet the object is written, through the helper thread: a program putting in
   * a loop does not yield to its event loop, and a seal queued on its own connection would
   * wait for it, leaving the store full of objects it may not spill.
   */
  seal(objectId: string): void {
    this.ensureWorker().postMessage({ seal: objectId });
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker === undefined) {
      this.worker = new Worker(new URL("./store-sync-worker.js", import.meta.url), {
        workerData: { shared: this.shared, rayletAddress: this.rayletAddress, token: this.token, tls: this.tls },
        // The user's loader flags are not needed in this helper thread.
        execArgv: [],
      });
      this.worker.unref();
    }
    return this.worker;
  }
}
