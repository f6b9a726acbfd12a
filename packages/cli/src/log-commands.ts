/**
 * `lux logs`: the cluster's log files, read through each node's raylet (the state API's
 * `listLogs` and `getLog`). `lux logs` lists every node's files; `lux logs FILE` prints one;
 * `lux logs worker --pid`, `lux logs actor --id` and `lux logs task --id` print a worker's,
 * an actor's or one task's output. Each takes `--tail N` and `--follow`. A log that is not
 * there exits 1 naming what is missing; a bad combination of flags exits 2.
 */
import { Option, type Command } from "commander";
import { InvalidOptionError, LogNotFoundError } from "@lux/common";
import { state } from "@lux/core";
import { CliError } from "./errors.js";
import { findCluster } from "./find-cluster.js";
import { table } from "./state-format.js";
import { formatBytes } from "./units.js";

interface ReadFlags {
  nodeId?: string;
  follow?: boolean;
  tail?: string;
  address?: string;
}

/** Runs `body` with a state client of the cluster, closed after; a missing log exits 1, bad flags 2. */
async function withClient(address: string | undefined, body: (client: state.StateClient) => Promise<void>): Promise<void> {
  const { client } = await findCluster(address, (a, token) => state.connect({ address: a, token }));
  try {
    await body(client);
  } catch (e) {
    if (e instanceof LogNotFoundError) throw new CliError(e.message, 1);
    if (e instanceof InvalidOptionError) throw new CliError(e.message, 2);
    throw e;
  } finally {
    client.close();
  }
}

/** Prints the lines as they come (with --follow, until the command is stopped). */
async function print(lines: AsyncIterable<string>): Promise<void> {
  for await (const line of lines) process.stdout.write(`${line}\n`);
}

function readOptions(flags: ReadFlags): Pick<state.GetLogOptions, "tail" | "follow"> {
  return { ...(flags.tail !== undefined ? { tail: wholeNumber("--tail", flags.tail) } : {}), ...(flags.follow === true ? { follow: true } : {}) };
}

/** A flag's whole number >= 1; a bad one exits 2 before any cluster is asked. */
function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) throw new CliError(`${flag} takes a whole number >= 1, got "${value}"`, 2);
  return n;
}

async function files(file: string | undefined, flags: ReadFlags): Promise<void> {
  if (file !== undefined) {
    const options = { file, ...(flags.nodeId !== undefined ? { nodeId: flags.nodeId } : {}), ...readOptions(flags) };
    await withClient(flags.address, (client) => print(client.getLog(options)));
    return;
  }
  if (flags.follow === true || flags.tail !== undefined) {
    throw new CliError("--follow and --tail read a file: name one (lux logs FILE), or use lux logs worker|actor|task", 2);
  }
  await withClient(flags.address, async (client) => {
    const nodes = await client.listLogs(flags.nodeId !== undefined ? { nodeId: flags.nodeId } : {});
    const rows = nodes.flatMap((n) => n.files.map((f) => ({ nodeId: n.nodeId, file: f.name, size: formatBytes(f.size), modified: new Date(f.modifiedAt).toISOString() })));
    process.stdout.write(rows.length === 0 ? "No log files.\n" : `${table(rows, ["nodeId", "file", "size", "modified"])}\n`);
  });
}

const readFlagOptions = (): Option[] => [
  new Option("--tail <n>", "only the last N lines (then, with --follow, what comes after)"),
  new Option("--follow", "go on printing lines as they are written, until stopped (Ctrl-C)"),
  new Option("--address <host:port>", "the cluster's control service (default: LUX_ADDRESS, else the cluster on this machine)"),
];

function withReadFlags(cmd: Command): Command {
  for (const o of readFlagOptions()) cmd.addOption(o);
  return cmd;
}

/** Adds `lux logs` (and its worker, actor and task forms) to `lux`. */
export function addLogCommands(cmd: Command): void {
  const logs = withReadFlags(
    cmd
      .command("logs")
      .description("List every node's log files, or print one (FILE), a worker's, an actor's or a task's output.")
      .argument("[file]", "a log file of the node (lux logs lists them), e.g. raylet.log")
      .option("--node-id <id>", "the node (its id, or the start of it); default: the node that has FILE"),
  ).action(files);
  withReadFlags(
    logs
      .command("worker")
      .description("Print a worker's output (its file and the rotated ones before it).")
      .requiredOption("--pid <pid>", "the worker's process id")
      .option("--node-id <id>", "the worker's node (default: the node that started a worker with this pid)"),
  ).action(async (flags: ReadFlags & { pid: string }) => {
    const options = { pid: wholeNumber("--pid", flags.pid), ...(flags.nodeId !== undefined ? { nodeId: flags.nodeId } : {}), ...readOptions(flags) };
    await withClient(flags.address, (client) => print(client.getLog(options)));
  });
  withReadFlags(logs.command("actor").description("Print what an actor wrote (on its current worker).").requiredOption("--id <actorId>", "the actor's id")).action(
    async (flags: ReadFlags & { id: string }) => {
      const options = { actorId: flags.id, ...readOptions(flags) };
      await withClient(flags.address, (client) => print(client.getLog(options)));
    },
  );
  withReadFlags(logs.command("task").description("Print only what one task wrote (each of its runs).").requiredOption("--id <taskId>", "the task's id")).action(
    async (flags: ReadFlags & { id: string }) => {
      const options = { taskId: flags.id, ...readOptions(flags) };
      await withClient(flags.address, (client) => print(client.getLog(options)));
    },
  );
}
