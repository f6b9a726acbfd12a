"""Dask distributed's column of the peers table (bench/peers/run.ts).

A LocalCluster with 2 worker processes of 1 thread each, on loopback, no dashboard. Each
workload runs once to warm up, then RUNS times; the median is reported, with max/min.
Prints one JSON line (the PeerResult of bench/peers/measure.ts) on stdout, progress on stderr.

    /usr/bin/python3 bench/peers/dask_bench.py [--runs N] [--startup-runs N] [--quick]

--quick: runs of a few milliseconds and a 16 MiB array, to check the harness (as the Node peers).

Needs Debian's python3-distributed (python3-numpy for "put_gigabytes").
"""

import argparse
import gc
import json
import logging
import statistics
import sys
import time

import dask
import distributed
from distributed import Client, LocalCluster

try:
    import numpy as np
except ImportError:  # put_gigabytes is then left out
    np = None

N_WORKERS = 2
QUICK = "--quick" in sys.argv
LARGE_BYTES = (16 if QUICK else 256) * 1024 * 1024
# Dask's round trips are slower than Lux's: fewer operations per run keep the runs short.
SYNC_OPS = 200
ASYNC_OPS = 1000
PUT_OPS = 200
GET_OPS = 500


def noop():
    return 0


class Counter:
    def __init__(self):
        self.n = 0

    def incr(self):
        self.n += 1
        return self.n


def start_cluster():
    cluster = LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return cluster, Client(cluster)


def summary(values):
    return {"median": statistics.median(values), "spread": max(values) / min(values)}


WARMUP_SECONDS = 0 if QUICK else 1
RUN_SECONDS = 0.01 if QUICK else 1


def timed(ops, run, least):
    """Repeats run for at least `least` seconds; returns operations per second."""
    start = time.perf_counter()
    n = 0
    while True:
        run()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= least:
            return n * ops / elapsed


def measure(runs, ops, run):
    """A 1 s warm-up, then `runs` timed runs of at least 1 s each (as the Node peers)."""
    timed(ops, run, WARMUP_SECONDS)
    return summary([timed(ops, run, RUN_SECONDS) for _ in range(runs)])


def startup(runs):
    """LocalCluster + Client until the first task's result is back."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        cluster, client = start_cluster()
        client.submit(noop, pure=False).result()
        elapsed = time.perf_counter() - start
        client.close()
        cluster.close()
        if i > 0:
            times.append(elapsed)
    return summary(times)


def put_gigabytes(client, runs):
    """client.scatter of a 256 MiB float64 array to a worker, in GB/s.

    Random (incompressible) values: with lz4 installed, Dask compresses what it sends, and a
    constant-filled array (what Lux puts: Lux never looks at the bytes) costs it ~10x more to
    compress than to send, which no real data would.
    """
    arr = np.random.default_rng(0).random(LARGE_BYTES // 8)
    rates = []
    for i in range(runs + 1):
        start = time.perf_counter()
        fut = client.scatter(arr, hash=False)
        elapsed = time.perf_counter() - start
        if i > 0:
            rates.append(LARGE_BYTES / elapsed / 1e9)
        fut.release()
        del fut
        gc.collect()
        time.sleep(0.2)  # let the worker drop the array before the next scatter
    return summary(rates)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = args.runs
    results, spread = {}, {}

    def add(key, m):
        results[key], spread[key] = m["median"], m["spread"]
        print(f"dask: {key} {m['median']:.4g} (spread {m['spread']:.2f}x)", file=sys.stderr, flush=True)

    add("startup_seconds", startup(args.startup_runs))

    cluster, client = start_cluster()
    try:
        # pure=False: a new key per call, or Dask would return the first result again.
        add("tasks_sync", measure(runs, SYNC_OPS, lambda: [client.submit(noop, pure=False).result() for _ in range(SYNC_OPS)]))
        add("tasks_async", measure(runs, ASYNC_OPS, lambda: client.gather([client.submit(noop, pure=False) for _ in range(ASYNC_OPS)])))

        actor = client.submit(Counter, actor=True).result()
        actor.incr().result()
        add("actor_calls_sync", measure(runs, SYNC_OPS, lambda: [actor.incr().result() for _ in range(SYNC_OPS)]))

        def actor_async():
            futures = [actor.incr() for _ in range(ASYNC_OPS)]
            for f in futures:
                f.result()

        add("actor_calls_async", measure(runs, ASYNC_OPS, actor_async))

        # Ray's put/get calls: a small value. hash=False: a new key per scatter, as a put makes a new object.
        add("put_calls", measure(runs, PUT_OPS, lambda: [client.scatter(0, hash=False) for _ in range(PUT_OPS)]))
        small = client.scatter(0, hash=False)
        add("get_calls", measure(runs, GET_OPS, lambda: [small.result() for _ in range(GET_OPS)]))

        if np is not None:
            add("put_gigabytes", put_gigabytes(client, runs))
        else:
            print("dask: numpy is not installed: put_gigabytes skipped", file=sys.stderr)
    finally:
        client.close()
        cluster.close()

    version = f"dask {dask.__version__}, distributed {distributed.__version__}, python {sys.version.split()[0]}"
    print(json.dumps({"peer": "dask", "version": version, "runs": runs, "results": results, "spread": spread}), flush=True)


if __name__ == "__main__":
    main()
