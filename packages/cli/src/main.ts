/**
 * The `lux` command: `lux start`, `lux stop`, `lux status`, `lux microbenchmark`, the
 * state API's `lux list|get|summary|memory|timeline` (state-commands.ts), `lux logs`
 * (log-commands.ts), `lux job …` (job-commands.ts) and `lux cert …` (cert.ts). `lux serve …`
 * runs @lux/serve's own command (external-command.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { InvalidConfigError, InvalidOptionError, checkConfig, checkNodeLabels, type SystemConfig } from "@lux/common";
import { addCertCommands } from "./cert.js";
import { CliError } from "./errors.js";
import { readClusterConfig, withHeadType } from "./autoscaler-head.js";
import { down, up, type UpOptions } from "./cluster-commands.js";
import { EXTERNAL_COMMANDS, runExternal } from "./external-command.js";
import { addJobCommands } from "./job-commands.js";
import { addLogCommands } from "./log-commands.js";
import { microbenchmark, type MicrobenchmarkOptions } from "./microbenchmark/index.js";
import { start, type StartOptions } from "./start.js";
import { addStateCommands } from "./state-commands.js";
import { status } from "./status.js";
import { stop } from "./stop.js";

function amount(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} takes a number >= 0, got "${value}"`);
    return n;
  };
}

function bytes(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`takes a positive number of bytes, got "${value}"`);
  return n;
}

function wholeBytes(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`takes a whole number of bytes >= 0, got "${value}"`);
  return n;
}

/** A flag that sets the number config entry `name`, checked as the registry checks it. */
function configNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    try {
      checkConfig({ [name]: value.trim() === "" ? value : n });
    } catch (e) {
      if (e instanceof InvalidConfigError) throw new InvalidArgumentError(e.message);
      throw e;
    }
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`takes a port number (0 picks a free one), got "${value}"`);
  return n;
}

function resources(value: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`takes a JSON object such as '{"special": 2}', got ${value}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`takes a JSON object such as '{"special": 2}', got ${value}`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`resource "${k}" must be a number >= 0`);
  }
  return parsed as Record<string, number>;
}

/** `--labels`: a JSON object of node labels, each key and value in Kubernetes label syntax. */
function labels(value: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`takes a JSON object such as '{"zone": "a"}', got ${value}`);
  }
  try {
    return checkNodeLabels(parsed, "--labels");
  } catch (e) {
    if (e instanceof InvalidOptionError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** `--system-config`: a JSON object of config entries, each checked against the registry. */
function systemConfig(value: string): SystemConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`takes a JSON object of config entries such as '{"workerLeaseIdleMs": 50}', got ${value}`);
  }
  try {
    return checkConfig(parsed);
  } catch (e) {
    if (e instanceof InvalidConfigError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** `lux start` (start.ts). */
function addStartCommand(cmd: Command): void {
  cmd
    .command("start")
    .description("Start a head node (--head) or a node joining the cluster at --address, in the background.")
    .option("--head", "start the control service and the first node")
    .option("--address <host:port>", "the cluster's control service, for a node joining it")
    .addOption(new Option("--port <port>", "port of the control service (--head; 0 picks a free one)").argParser(port).default(6379))
    .option("--num-cpus <n>", "CPUs of this node (default: the number of cores)", amount("--num-cpus"))
    .option("--num-gpus <n>", "GPUs of this node (default: those nvidia-smi finds)", amount("--num-gpus"))
    .option("--resources <json>", "custom resources of this node, as JSON", resources)
    .option("--labels <json>", "labels of this node, as JSON, for labelSelector (e.g. '{\"zone\": \"a\"}')", labels)
    .option("--object-store-memory <bytes>", "size of this node's object store", bytes)
    .option("--memory <bytes>", "this node's memory resource (default: its RAM minus its object store)", wholeBytes)
    .option("--memory-usage-threshold <fraction>", "above this fraction of its memory the node kills a worker and takes no new leases (config memoryUsageThreshold, default 0.95)", configNumber("memoryUsageThreshold"))
    .option("--memory-monitor-interval-ms <ms>", "how often the node measures its memory; 0 turns the monitor off (config memoryMonitorIntervalMs, default 250)", configNumber("memoryMonitorIntervalMs"))
    .option("--memory-capacity <bytes>", "count only this node's own processes against this many bytes instead of the machine's memory (for tests)", bytes)
    .option("--node-ip-address <ip>", "this node's IP address; the daemons bind there (another than 127.0.0.1 reaches the network: use TLS)", "127.0.0.1")
    .option("--storage <kind>", "where the control service keeps its tables: memory, or redis://HOST:PORT to survive its restarts", "memory")
    .option("--system-config <json>", "config entries for this node's daemons and their workers, as JSON (see docs/config.md)", systemConfig)
    .addOption(new Option("--dashboard-port <port>", "port of the head's HTTP server: dashboard, state routes and jobs API (--head; 0 picks a free one)").argParser(port).default(8265))
    .option("--dashboard-host <ip>", "address the head's HTTP server binds (--head; another than 127.0.0.1 reaches the network: use TLS)", "127.0.0.1")
    .option("--task-events-max <n>", "tasks the control service keeps for the state API (--head; config taskEventsMax, default 100000)", configNumber("taskEventsMax"))
    .option("--metrics-port <port>", "port of this node's Prometheus metrics, on its IP address (config metricsPort, default 0: a free port, shown by `lux status`)", configNumber("metricsPort"))
    .option("--metrics-public", "serve this node's /metrics without the cluster token, read-only (config metricsPublic; the only route that can be opened)")
    .option("--tls-cert <file>", "this node's certificate (PEM, `lux cert issue`): with --tls-key and --tls-ca, TLS 1.3 on every connection and HTTP server (default LUX_TLS_CERT; docs/tls.md)")
    .option("--tls-key <file>", "the private key of --tls-cert (default LUX_TLS_KEY)")
    .option("--tls-ca <file>", "the cluster's CA certificate, `lux cert create-ca` (default LUX_TLS_CA)")
    .option("--block", "stay in the foreground: stop the daemons on SIGTERM or SIGINT, and fail if one of them exits (a container's command)")
    .option("--autoscaling-config <file>", "a cluster YAML (--head): the head also runs the autoscaler, and takes its node type's resources (see docs/autoscaler.md)")
    .action(async (opts: StartOptions) => {
      if (opts.autoscalingConfig !== undefined) {
        if (opts.head !== true) throw new CliError("--autoscaling-config is for the head node (--head), which runs the autoscaler", 2);
        await start(withHeadType(opts, (await readClusterConfig(opts.autoscalingConfig)).config));
        return;
      }
      await start(opts);
    });
}

/** `lux up` and `lux down`: a cluster from its YAML (cluster-commands.ts). */
function addClusterCommands(cmd: Command): void {
  cmd
    .command("up <cluster.yaml>")
    .description("Start the cluster of a YAML file here (its head and autoscaler), or update its autoscaler; running it again changes nothing.")
    .option("--yes", "do not ask for confirmation")
    .addOption(new Option("--port <port>", "port of the control service (0 picks a free one)").argParser(port).default(6379))
    .addOption(new Option("--dashboard-port <port>", "port of the head's HTTP server (0 picks a free one)").argParser(port).default(8265))
    .option("--dashboard-host <ip>", "address the head's HTTP server binds", "127.0.0.1")
    .option("--node-ip-address <ip>", "the head's IP address; the daemons bind there", "127.0.0.1")
    .option("--object-store-memory <bytes>", "size of the head's object store", bytes)
    .action(async (file: string, opts: UpOptions) => {
      await up(file, opts);
    });
  cmd
    .command("down <cluster.yaml>")
    .description("End every node of the cluster of a YAML file (those its provider tagged with the cluster), then its head.")
    .action(async (file: string) => {
      await down(file);
    });
}

function program(): Command {
  // Positional options: `lux logs worker --tail 5` gives --tail to `worker`, not to `logs`.
  const cmd = new Command("lux").description("Start, inspect and stop Lux clusters on this machine.").exitOverride().enablePositionalOptions();
  addStartCommand(cmd);
  addClusterCommands(cmd);
  cmd
    .command("stop")
    .description("Stop every Lux process started by `lux start` on this machine.")
    .action(async () => {
      await stop();
    });
  cmd
    .command("status")
    .description("Show the nodes and resources of a cluster (default: the one started on this machine).")
    .option("--address <host:port>", "the cluster's control service (default: LUX_ADDRESS, else the local cluster)")
    .option("--listeners", "list every address and port the cluster's processes listen on, per node")
    .action(async (opts: { address?: string; listeners?: boolean }) => {
      await status(opts);
    });
  cmd
    .command("microbenchmark")
    .description("Run Ray's microbenchmark workloads on a private cluster, beside this machine's limits and Ray's published figures.")
    .option("--json", "print one JSON object: each name to its median per second (GB/s for the gigabytes ones; seconds for startup)")
    .option("--filter <regex>", "run only the workloads (and measurements) whose names match")
    .option("--quick", "short runs with small batches (a smoke test, not a measurement)")
    .action(async (opts: MicrobenchmarkOptions) => {
      await microbenchmark(opts);
    });
  addStateCommands(cmd);
  addJobCommands(cmd);
  addCertCommands(cmd);
  addLogCommands(cmd);
  // Listed for `lux --help`; main() hands `lux serve …` to @lux/serve's lux-serve before parsing.
  cmd.command("serve").description("Run, deploy and inspect online serving applications (@lux/serve: lux serve --help)");
  return cmd;
}

/** Runs the command line `argv` (without "node lux"); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first !== undefined && first in EXTERNAL_COMMANDS) return await runExternal(first, rest);
    await program().parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CliError) {
      process.stderr.write(`lux: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`lux: ${(e as Error).message}\n`);
    return 1;
  }
}

