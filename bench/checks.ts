/**
 * What `npm run bench -- --quick` checks in each benchmark's output: that it is complete
 * and well formed (every row, every figure a positive number, JSON that parses), never a
 * speed. Each check throws an AssertionError saying what is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/** A positive finite number as the benchmarks print it (thousands separated by commas). */
function figure(text: string | undefined, what: string): number {
  const value = Number((text ?? "").replaceAll(",", ""));
  assert.ok(/^[\d,]+(\.\d+)?$/.test(text ?? "") && value > 0 && Number.isFinite(value), `${what}: not a positive figure: ${text}`);
  return value;
}

/** The line of `out` that starts with `label` (then spaces), or a failure naming it. */
function row(out: string, label: string): string {
  const line = out.split("\n").find((l) => l.startsWith(`${label} `) || l.trimStart().startsWith(`${label} `));
  assert.ok(line !== undefined, `no line for ${label} in:\n${out}`);
  return line;
}

/** `lux microbenchmark --json`: one line, one positive median per chosen workload. */
export function microbenchmarkJson(expected: readonly string[]) {
  return (out: string): void => {
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
    const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(result).sort(), [...expected].sort());
    for (const [name, value] of Object.entries(result)) {
      assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
    }
  };
}

/**
 * `lux microbenchmark`'s table: a row with a positive median for every workload; the
 * machine's limits; and each figure beside the limit measured in the same run (sync round
 * trips bound tasks sync, memcpy bounds a put), as a share of it, then Ray's figure.
 */
export function microbenchmarkTable(out: string): void {
  const lines = out.split("\n");
  const header = lines.findIndex((l) => l.startsWith("workload "));
  assert.ok(header > 0, `no table header in:\n${out}`);
  const rows = lines.slice(header + 1).filter((l) => l.trim() !== "");
  assert.ok(rows.length >= 10, `a row per workload, got ${rows.length}:\n${out}`);
  for (const r of rows) figure(r.split(/\s+/)[1], r.split(/\s+/)[0] ?? r);
  const number = "([\\d,.]+)";
  const limit = (name: string, unit: string): string => {
    const m = new RegExp(`^\\S+\\s+${number}\\s+[\\d,.]+–[\\d,.]+\\s+${unit}$`).exec(row(out, name).trimEnd());
    assert.ok(m !== null, `${name}: a median, a spread and "${unit}" in: ${row(out, name)}`);
    return m[1] as string;
  };
  const syncRoundTrips = limit("machine_unix_socket_sync_round_trips", "round trips/s");
  limit("machine_unix_socket_pipelined_messages", "messages/s");
  const memcpy = limit("machine_memcpy_gigabytes", "GB/s");
  const beside = (name: string, unit: string, limitText: string, limitUnit: string, ray: string): void => {
    const m = new RegExp(
      `^\\S+\\s+${number}\\s+\\S+\\s+${unit}\\s+${limitText.replaceAll(".", "\\.")} ${limitUnit}\\s+${number}%\\s+${ray}\\s`,
    ).exec(row(out, name));
    assert.ok(m !== null, `${name}: figure, limit ${limitText} ${limitUnit}, share and Ray's ${ray} in: ${row(out, name)}`);
    const share = (100 * figure(m[1], name)) / figure(limitText, `${name}'s limit`);
    assert.ok(Math.abs(share - Number(m[2])) < 0.1 + share * 0.01, `${name}: ${m[2]}% is not ${m[1]} / ${limitText}`);
  };
  beside("single_client_tasks_sync", "/s", syncRoundTrips, "round trips/s", "981");
  beside("single_client_put_gigabytes", "GB/s", memcpy, "GB/s", "19\\.9");
  assert.match(row(out, "startup_seconds"), /^startup_seconds\s+[\d.]+\s/);
}

/** bench/object-store.ts: memcpy, put and get in GB/s. */
export function objectStore(out: string): void {
  for (const label of ["memcpy", "put", "get (same node)"]) {
    const m = new RegExp(`^${label.replace(/[()]/g, "\\$&")}\\s+([\\d.]+) GB/s`).exec(row(out, label));
    assert.ok(m !== null, `${label}: a rate in GB/s in: ${row(out, label)}`);
    figure(m[1], label);
  }
}

/**
 * bench/transfer.ts: the raw streams, AES-GCM and the pulls (rates; the pulls' shares of their
 * baselines), the reads on every node (seconds, the ratio to the single pull, the relayed pulls).
 */
export function transfer(out: string): void {
  const rates = [
    "raw TCP, 2 Node processes, default reads",
    "raw TCP, 2 Node processes, reused buffer",
    "pull to another node, first (cold store)",
    "openssl speed -evp aes-128-gcm, 1 core",
    "raw TLS 1.3, 2 Node processes, reused buffer",
  ];
  for (const label of rates) figure(/\s([\d.]+) GB\/s/.exec(row(out, label))?.[1], label);
  const pull = /\s([\d.]+) GB\/s \((\d+)% of raw TCP, target ≥ 80%(?:  BELOW)?; (\d+)% of the reused buffer's\)$/.exec(row(out, "pull to another node"));
  assert.ok(pull !== null, `pull: a rate and its shares of raw TCP in: ${row(out, "pull to another node")}`);
  for (const v of pull.slice(1)) figure(v, "pull to another node");
  const tls = /\s([\d.]+) GB\/s \((\d+)% of AES-GCM, target ≥ 50%(?:  BELOW)?; (\d+)% of raw TLS\)$/.exec(row(out, "pull to another node, TLS 1.3"));
  assert.ok(tls !== null, `TLS pull: a rate and its shares of AES-GCM and raw TLS in: ${row(out, "pull to another node, TLS 1.3")}`);
  for (const v of tls.slice(1)) figure(v, "pull to another node, TLS 1.3");
  figure(/\s([\d.]+) s/.exec(row(out, "read by an actor on every node, first (cold)"))?.[1], "read on every node, first");
  const all = /\s([\d.]+) s \(([\d.]+)× the single pull's ([\d.]+) s; target ≤ 2\.5×\)(?:  ABOVE)?$/.exec(row(out, "read by an actor on every node"));
  assert.ok(all !== null, `read on every node: seconds and the ratio to the single pull in: ${row(out, "read by an actor on every node")}`);
  for (const v of all.slice(1)) figure(v, "read by an actor on every node");
  assert.match(row(out, "pulls that read from a relay"), /\s\d+ of [1-9]\d*$/);
}

/** bench/transfer.ts --json: one line of the transfer figures. */
export function transferJsonLine(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  transferJson(JSON.parse(lines[0] as string) as Record<string, unknown>);
}

/** Transfer figures in JSON: every one named, positive numbers (relayed pulls and CPU seconds, which a smoke run's small reads may not register, at least 0). */
export function transferJson(figures: Record<string, unknown>): void {
  for (const name of ["pull_share_of_raw_tcp", "read_on_all_nodes_over_single_pull", "tls_pull_share_of_aes_128_gcm", "tls_pull_share_of_raw_tls", "raw_tls_gb_per_second"]) {
    assert.ok(name in figures, `transfer: ${name} missing`);
  }
  for (const [name, value] of Object.entries(figures)) {
    const zeroOk = name === "relayed_pulls" || name.includes("cpu");
    assert.ok(typeof value === "number" && Number.isFinite(value) && (value > 0 || (zeroOk && value === 0)), `transfer.${name}: ${String(value)}`);
  }
}

/** bench/cluster.ts: the task rate, and every task counted on some node. */
export function cluster(tasks: number) {
  return (out: string): void => {
    figure(/^tasks\s+(\d+) tasks\/s$/.exec(row(out, "tasks"))?.[1], "tasks");
    const spread = /^spread\s+([\d /]+) tasks per node$/.exec(row(out, "spread"))?.[1];
    assert.ok(spread !== undefined, `spread: counts per node in: ${row(out, "spread")}`);
    const counts = spread.split(" / ").map(Number);
    assert.equal(counts.reduce((a, b) => a + b, 0), tasks, `spread: ${spread} does not add up to ${tasks}`);
  };
}

/** bench/scale.ts --json: one line, each workload's figures positive numbers, no actor lost. */
export function scale(out: string): void {
  const single = (JSON.parse(out.trim()) as { single_node?: Record<string, Record<string, unknown>> }).single_node ?? {};
  for (const [workload, figures] of Object.entries(single)) {
    for (const [name, value] of Object.entries(figures)) {
      assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `single_node.${workload}.${name}: ${String(value)}`);
    }
  }
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(result).sort(), ["many_actors", "queued_tasks", "single_node", "transfer"]);
  transferJson(result["transfer"] ?? {});
  for (const [workload, figures] of Object.entries(result)) {
    if (workload === "single_node" || workload === "transfer") continue; // checked above
    for (const [name, value] of Object.entries(figures)) {
      if (name === "actors_lost") assert.equal(value, 0, `${workload}: actors lost`);
      // Memory grown per task: in a smoke run's few tasks, RSS may as well shrink (a GC).
      else if (name.endsWith("_per_queued_task")) assert.ok(typeof value === "number" && Number.isFinite(value), `${workload}.${name}: ${String(value)}`);
      // A worker started ahead (when the job registered) started before the burst: negative.
      else if (name === "start_wait_ms") assert.ok(typeof value === "number" && Number.isFinite(value), `${workload}.${name}: ${String(value)}`);
      else assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${workload}.${name}: ${String(value)}`);
    }
  }
}

/** bench/observability.ts --json: one line, every figure a positive number (the cost may be any finite number). */
export function observability(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const r = JSON.parse(lines[0] as string) as Record<string, number>;
  for (const [name, value] of Object.entries(r)) {
    if (name === "cost") assert.ok(Number.isFinite(value), `cost: ${String(value)}`);
    else assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
}

/** bench/security.ts --json: one line of JSON, every figure a positive number. */
export function security(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const r = JSON.parse(lines[0] as string) as Record<string, number>;
  for (const name of ["aes_128_gcm_gb_per_second", "raw_tcp_gb_per_second", "raw_tls_gb_per_second", "transfer_plain_gb_per_second", "transfer_tls_gb_per_second", "tasks_sync_plain", "tasks_sync_tls", "tasks_sync_without_idle", "tasks_sync_with_idle", "idle_connections"]) {
    const value = r[name];
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
  assert.equal(r["fuzz_ok"], 1, "every fuzzed server alive and answering");
  for (const target of ["gcs", "raylet", "worker", "transfer", "http"]) assert.ok((r[`fuzz_${target}_inputs_per_second`] ?? 0) > 0, `fuzz ${target}: ${out}`);
}

/**
 * bench/soak.ts --json: the object store back to its baseline, no spill file or orphan arena
 * left (RSS flatness is judged on the full run: a minute is too short for V8's heaps to settle).
 */
export function soak(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const r = JSON.parse(lines[0] as string) as Record<string, number>;
  assert.ok((r["rounds"] ?? 0) > 0 && (r["processes"] ?? 0) >= 4, out);
  assert.ok((r["store_objects_end"] as number) <= (r["store_objects_baseline"] as number), "objects left in the store");
  assert.ok((r["store_bytes_end"] as number) <= (r["store_bytes_baseline"] as number), "bytes left in the store");
  assert.equal(r["spill_files_left"], 0, "spill files left");
  assert.equal(r["orphan_arenas"], 0, "/dev/shm arenas of dead processes");
}

/** bench/many-nodes.ts --json: one line of positive figures; no node ran nothing. */
export function manyNodes(nodes: number): (out: string) => void {
  return (out) => {
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
    const r = JSON.parse(lines[0] as string) as Record<string, number>;
    assert.equal(r["nodes"], nodes);
    for (const name of ["tasks_per_second", "gcs_rss_mib", "min_tasks_per_node"]) assert.ok((r[name] ?? 0) > 0, `${name}: ${String(r[name])}`);
    assert.equal(r["starved_nodes"], 0, "every node ran tasks");
  };
}

/** bench/gcs-scale.ts --json: one line; every change seen by every node, the death heard by every subscriber. */
export function gcsScale(nodes: number): (out: string) => void {
  return (out) => {
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
    const r = JSON.parse(lines[0] as string) as Record<string, number>;
    assert.equal(r["nodes"], nodes);
    for (const [name, value] of Object.entries(r)) assert.ok(typeof value === "number" && Number.isFinite(value) && value >= 0, `${name}: ${String(value)}`);
    assert.equal(r["view_changes_seen_by_all"], r["view_changes"], "every resource change reached every other node");
    assert.equal(r["death_heard_by"], nodes, "the hung node's death reached every subscriber");
  };
}

/** bench/advanced-api.ts --json: one line, the four benchmarks' figures, each a positive number. */
export function advancedApi(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(result).sort(), ["collective", "generators", "pool", "runtime_env_npm"]);
  for (const [bench, figures] of Object.entries(result)) {
    for (const [name, value] of Object.entries(figures)) {
      assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${bench}.${name}: ${String(value)}`);
    }
  }
}

/** bench/data.ts --json: one line, every figure a number (positive, but the trivial function's overhead may be 0). */
export function data(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = [
    "map_rows", "map_rows_per_second", "plain_loop_rows_per_second", "map_speedup_over_plain_loop", "trivial_overhead_ms_per_1m_block", "trivial_first_block_ms_with_shipping",
    "group_rows", "group_lux_seconds", "group_plain_loop_seconds", "group_duckdb_seconds", "group_speedup_over_plain_loop", "group_lux_over_duckdb",
    "read_file_mb", "read_lux_mb_per_second", "read_hyparquet_mb_per_second",
  ];
  assert.deepEqual(Object.keys(result).sort(), [...names].sort());
  for (const name of names) {
    const value = result[name];
    const ok = typeof value === "number" && Number.isFinite(value) && (value > 0 || (name === "trivial_overhead_ms_per_1m_block" && value >= 0));
    assert.ok(ok, `${name}: ${String(value)}`);
  }
}

/** bench/serve.ts --json: one line; rates and latencies positive (the ONNX figures null without onnxruntime-node); the added latency any number. */
export function serve(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = [
    "fastify_rps", "fastify_p50_ms", "fastify_p99_ms", "serve1_rps", "serve1_p50_ms", "serve1_p99_ms", "serve2_rps", "serve2_p50_ms", "serve2_p99_ms",
    "serve_share_of_fastify", "fastify_p50_1conn_ms", "serve_p50_1conn_ms", "added_p50_1conn_ms", "handle_calls_per_second", "actor_calls_per_second",
    "onnx_batched_rps", "onnx_unbatched_rps",
  ];
  assert.deepEqual(Object.keys(result).sort(), [...names].sort());
  for (const name of names) {
    const value = result[name];
    if (name.startsWith("onnx_") && value === null) continue;
    const latency = name.endsWith("_ms");
    const ok = typeof value === "number" && Number.isFinite(value) && (name === "added_p50_1conn_ms" || (latency ? value >= 0 : value > 0));
    assert.ok(ok, `${name}: ${String(value)}`);
  }
}

/** bench/rl.ts --json: one line, every figure a positive number (a quick run's seeds may not reach its target: 0 then). */
export function rl(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = [
    "env_steps_per_second_2_runners", "env_steps_per_second_single_process", "runners_speedup",
    "learner_updates_per_second", "plain_tfjs_updates_per_second", "learner_share_of_plain_tfjs",
    "ppo_example_median_seconds", "ppo_example_median_env_steps", "ppo_example_seeds_reached", "ppo_target_return",
    "dqn_median_seconds", "dqn_median_env_steps", "dqn_seeds_reached",
  ];
  for (const name of names) {
    const value = result[name];
    const ok = typeof value === "number" && Number.isFinite(value) && (value > 0 || (name.endsWith("_seeds_reached") && value >= 0));
    assert.ok(ok, `${name}: ${String(value)}`);
  }
}

/** bench/train.ts --json: one line; memcpy, TCP, allreduce algbw/busbw per size on one node (shared arrays, then heap arrays) and across nodes, tfjs samples/s; every figure positive. */
export function train(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const r = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(r).sort(), ["crossNode", "memcpyGBps", "sameNode", "sameNodeHeap", "tcpGBps", "tfjs"]);
  const positive = (name: string, value: unknown): void => assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  positive("memcpyGBps", r["memcpyGBps"]);
  positive("tcpGBps", r["tcpGBps"]);
  for (const where of ["sameNode", "sameNodeHeap", "crossNode"]) {
    const sizes = r[where] as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(sizes).sort(), ["1", "16", "64"], where);
    for (const [mib, bw] of Object.entries(sizes)) {
      assert.deepEqual(Object.keys(bw).sort(), ["algbw", "busbw"], `${where}.${mib}`);
      positive(`${where}.${mib}.algbw`, bw["algbw"]);
      positive(`${where}.${mib}.busbw`, bw["busbw"]);
    }
  }
  const tfjs = r["tfjs"] as Record<string, unknown>;
  assert.deepEqual(Object.keys(tfjs).sort(), ["plain", "workers1", "workers2"]);
  for (const [name, value] of Object.entries(tfjs)) positive(`tfjs.${name}`, value);
}

/** bench/tune.ts --json: one line, every figure a positive number (regrets may be 0). */
export function tune(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = [
    "many_trials", "many_trials_ideal_seconds", "many_trials_wall_seconds", "many_trials_wall_over_ideal",
    "noop_trials", "noop_trials_per_second", "actor_cycles_per_second", "noop_trials_share_of_actor_cycles",
    "report_trials", "results", "results_per_second",
    "branin_trials", "branin_seeds", "tpe_median_regret", "random_median_regret",
  ];
  assert.deepEqual(Object.keys(result).sort(), [...names].sort());
  for (const name of names) {
    const value = result[name];
    const ok = typeof value === "number" && Number.isFinite(value) && (value > 0 || (name.endsWith("_regret") && value >= 0));
    assert.ok(ok, `${name}: ${String(value)}`);
  }
  assert.equal(result["results"], (result["report_trials"] as number) * 100, "every report of the 8 trials recorded (--quick: 100 each)");
}

/** bench/generators.ts --json: one line, every figure a positive number. */
export function generators(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = ["items", "tasks_async_per_second", "generator_items_per_second", "actor_generator_items_per_second", "generator_share_of_tasks_async"];
  assert.deepEqual(Object.keys(result).sort(), [...names].sort());
  for (const name of names) {
    const value = result[name];
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
}

/**
 * bench/state.ts --json: one line; every failure found by state=FAILED, the store full at
 * `kept`, the drops counted, the control service under its stated memory bound, latencies.
 */
export function state(tasks: number, kept: number): (out: string) => void {
  return (out) => {
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
    const r = JSON.parse(lines[0] as string) as Record<string, number | boolean>;
    assert.equal(r["tasks"], tasks);
    assert.equal(r["events_on"], true);
    assert.equal(r["failures_found"], r["failures_expected"], "every failure is found");
    assert.equal(r["tasks_kept"], kept);
    assert.ok(Number(r["tasks_dropped"]) >= tasks - kept, `dropped ${String(r["tasks_dropped"])}`);
    assert.ok(Number(r["gcs_rss_mib"]) < Number(r["gcs_rss_bound_mib"]), `control service RSS ${String(r["gcs_rss_mib"])} MiB`);
    for (const name of ["tasks_per_second", "gcs_peak_rss_mib", "list_failed_api_ms", "list_failed_cli_ms"]) {
      assert.ok(typeof r[name] === "number" && r[name] > 0 && Number.isFinite(r[name]), `${name}: ${String(r[name])}`);
    }
  };
}

/** bench/placement-groups.ts --json: one line, every figure a positive number. */
export function placementGroups(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const names = [
    "groups",
    "groups_created_and_removed_per_second",
    "gcs_round_trips_per_second",
    "gcs_round_trips_100_in_flight_per_second",
    "tasks",
    "tasks_in_bundle_per_second",
    "tasks_outside_per_second",
    "in_bundle_share_of_outside",
  ];
  assert.deepEqual(Object.keys(result).sort(), [...names].sort());
  for (const name of names) {
    const value = result[name];
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
}

/** bench/autoscaler.ts --json: one line; the latencies positive, the node counts whole, the shares 0..1. */
export function autoscaler(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const r = JSON.parse(lines[0] as string) as Record<string, unknown>;
  const positive = ["scale_up_autoscaled_ms", "scale_up_direct_join_ms", "scale_up_overhead_limit_ms", "nodes_launched_10_cpu1_on_cpu4", "mixed_shapes_instances", "scale_down_s", "scale_down_limit_s"];
  const any = ["scale_up_overhead_ms", "mixed_shapes_worst_excess_over_optimal", "mixed_shapes_share_within_one"];
  assert.deepEqual(Object.keys(r).sort(), [...positive, ...any].sort());
  for (const name of positive) assert.ok(typeof r[name] === "number" && (r[name] as number) > 0 && Number.isFinite(r[name]), `${name}: ${String(r[name])}`);
  for (const name of any) assert.ok(typeof r[name] === "number" && Number.isFinite(r[name]), `${name}: ${String(r[name])}`);
  const share = r["mixed_shapes_share_within_one"] as number;
  assert.ok(share >= 0 && share <= 1, `mixed_shapes_share_within_one: ${share}`);
}

/** bench/util-pool.ts --json: one line, every figure a positive number. */
export function utilPool(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(result).sort(), [
    "chunksize",
    "items",
    "lux_pool_map_items_per_second",
    "lux_pool_map_seconds",
    "lux_share_of_piscina_per_item",
    "piscina_chunked_items_per_second",
    "piscina_per_item_items_per_second",
    "processes",
  ]);
  for (const [name, value] of Object.entries(result)) {
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `util-pool ${name}: ${String(value)}`);
  }
}

/** bench/runtime-env-npm.ts --json: one line, every figure a positive number. */
export function runtimeEnvNpm(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(result).sort(), ["cached_ms", "first_install_ms", "install_over_cached", "new_worker_ms", "runs"]);
  for (const [name, value] of Object.entries(result)) {
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `runtime-env-npm ${name}: ${String(value)}`);
  }
}

/** bench/collective.ts --json: one line, every figure a positive number. */
export function collective(out: string): void {
  const lines = out.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(result).sort(), [
    "collective_allreduce_gb_per_second",
    "collective_allreduce_seconds",
    "collective_over_putget",
    "memcpy_gb_per_second",
    "mib",
    "nodes",
    "putget_allreduce_gb_per_second",
    "putget_allreduce_seconds",
    "ranks",
    "runs",
  ]);
  for (const [name, value] of Object.entries(result)) {
    assert.ok(typeof value === "number" && value > 0 && Number.isFinite(value), `collective ${name}: ${String(value)}`);
  }
}

/** bench/rpc-messages.ts: the last line is the runs' medians as JSON. */
export function rpcMessages(out: string): void {
  const medians = JSON.parse(out.trim().split("\n").at(-1) ?? "") as Record<string, unknown>;
  for (const key of ["perSecond", "cpuMicrosPerCall", "serverCpuMicrosPerCall"]) {
    assert.ok(typeof medians[key] === "number" && medians[key] > 0, `${key}: ${String(medians[key])}`);
  }
}

const PEER_WORKLOADS = ["tasks sync", "tasks async", "actor calls sync", "actor calls async", "put calls", "get calls", "put GB/s", "startup (s)"];
/** The workloads piscina runs: it has no actors and no object store. */
const PISCINA = new Set(["tasks sync", "tasks async", "startup (s)"]);

function daskInstalled(): boolean {
  const chosen = process.env["LUX_BENCH_PYTHON"];
  const candidates = chosen !== undefined && chosen !== "" ? [chosen] : ["python3", "/usr/bin/python3"];
  return candidates.some((python) => spawnSync(python, ["-c", "import distributed"], { stdio: "ignore", timeout: 60_000 }).status === 0);
}

const isFigure = (cell: string | undefined): boolean => /^[\d,]+(\.\d+)?$/.test(cell ?? "") && Number((cell ?? "").replaceAll(",", "")) > 0;

/**
 * bench/peers/run.ts --markdown: every workload with Lux's, Dask's and piscina's figures and
 * Ray's. Dask's column has figures when a Python that can import distributed is on the
 * machine, and says "not installed" otherwise.
 */
export function peers(out: string): void {
  const table = out.split("\n").filter((l) => l.startsWith("| "));
  assert.equal(table[0], "| workload | Lux | Dask | piscina | Ray (published) |");
  assert.match(table[1] ?? "", /^\| --- \|( ---: \|){4}$/);
  const rows = table.slice(2).map((l) => l.slice(2, -2).split(" | "));
  assert.deepEqual(
    rows.map((cells) => cells[0]),
    PEER_WORKLOADS,
  );
  const dask = daskInstalled();
  for (const [name = "", lux, daskCell, piscina, ray] of rows) {
    assert.ok(isFigure(lux), `Lux ${name}: ${lux}`);
    if (dask) assert.ok(isFigure(daskCell) || (name === "put GB/s" && daskCell === "—"), `Dask ${name}: ${daskCell}`);
    else assert.equal(daskCell, "not installed", `Dask ${name}`);
    if (PISCINA.has(name)) assert.ok(isFigure(piscina), `piscina ${name}: ${piscina}`);
    else assert.equal(piscina, "—", `piscina ${name}`);
    assert.ok(name === "startup (s)" ? ray === "—" : isFigure(ray), `Ray ${name}: ${ray}`);
  }
  assert.match(out, /^Lux: lux \S+, node v\d+/m);
  assert.match(out, /^piscina: piscina \S+, node v\d+/m);
  if (dask) assert.match(out, /^Dask: dask \S+, distributed \S+, python \d/m);
}

/** bench/worker-start/run.ts --json: for node and tsx, when init returned and when every task ran. */
export function workerStart(out: string): void {
  const line = out.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(line) as Record<string, { initMs?: unknown; allRunningMs?: unknown } | number>;
  for (const mode of ["node", "tsx"]) {
    const m = parsed[mode];
    assert.ok(typeof m === "object", `worker-start: no ${mode} figures in ${line}`);
    for (const key of ["initMs", "allRunningMs"] as const) figure(String(m[key]), `worker-start ${mode} ${key}`);
  }
  figure(String(parsed["tsxOverNode"]), "worker-start tsxOverNode");
}

/** bench/dashboard.ts --json: one line; every task kept; each time to first rows a positive figure. */
export function dashboard(events: number): (out: string) => void {
  return (out) => {
    const lines = out.trim().split("\n");
    assert.equal(lines.length, 1, `one line of JSON, got: ${out}`);
    const r = JSON.parse(lines[0] as string) as Record<string, number>;
    assert.equal(r["events"], events);
    assert.ok(Number(r["tasks_kept"]) >= events, `tasks kept: ${String(r["tasks_kept"])}`);
    for (const name of ["fill_seconds", "first_rows_ms", "first_rows_max_ms", "failed_first_rows_ms", "failed_first_rows_max_ms", "target_ms"]) {
      assert.ok(typeof r[name] === "number" && r[name] > 0 && Number.isFinite(r[name]), `${name}: ${String(r[name])}`);
    }
  };
}
