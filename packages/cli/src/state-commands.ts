/**
 * `lux list`, `lux get`, `lux summary`, `lux memory` and `lux timeline`: the state API
 * (`lux.state`) from the command line. A query naming an unknown kind, field or operator
 * exits 2 with the valid ones, before any cluster is asked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { InvalidStateQueryError, checkStateKind, checkSummaryKind, parseStateFilter } from "@lux/common";
import { state } from "@lux/core";
import { CliError } from "./errors.js";
import { findCluster } from "./find-cluster.js";
import { memoryReport, type MemoryOptions } from "./memory-report.js";
import { checkFormat, formatPage, structured, table } from "./state-format.js";
import { summaryReport } from "./summary-report.js";

interface ListFlags {
  filter: string[];
  limit: number;
  pageToken?: string;
  detail?: boolean;
  format: string;
  address?: string;
}

/** Runs `body` with a state client of the cluster (see find-cluster.ts), closed after. */
async function withClient<T>(address: string | undefined, body: (client: state.StateClient) => Promise<T>): Promise<T> {
  const { client } = await findCluster(address, (a, token) => state.connect({ address: a, token }));
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** An invalid query exits 2 with its message (which lists the valid kinds, fields or operators). */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InvalidStateQueryError) throw new CliError(e.message, 2);
    throw e;
  }
}

function filtersOf(kind: state.StateKind, texts: readonly string[]): state.Filter[] {
  return usage(() => texts.map((t) => parseStateFilter(kind, t)));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`takes a whole number >= 1, got "${value}"`);
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const addressOption = (): Option => new Option("--address <host:port>", "the cluster's control service (default: LUX_ADDRESS, else the cluster on this machine)");
const filterOption = (): Option => new Option("--filter <key=value>", "keep items whose field equals (key=value) or differs from (key!=value) the value; repeatable").argParser(collect).default([]);

async function list(kindName: string, flags: ListFlags): Promise<void> {
  const kind = usage(() => checkStateKind(kindName));
  const filters = filtersOf(kind, flags.filter);
  const format = checkFormat(flags.format);
  const page = await withClient(flags.address, (client) =>
    client.list(kind, { filters, limit: flags.limit, detail: flags.detail === true, ...(flags.pageToken !== undefined ? { pageToken: flags.pageToken } : {}) }),
  );
  process.stdout.write(formatPage(kind, page, format, flags.detail === true));
}

async function get(kindName: string, id: string, flags: { format: string; address?: string }): Promise<void> {
  const kind = usage(() => checkStateKind(kindName));
  const format = checkFormat(flags.format);
  const item = await withClient(flags.address, (client) => client.get(kind, id));
  if (item === undefined) throw new CliError(`no ${kind} with id ${id}${kind === "tasks" ? " (the control service keeps the last taskEventsMax tasks)" : ""}`);
  process.stdout.write(format === "table" ? `${table([item as unknown as Record<string, unknown>], Object.keys(item))}\n` : structured(item, format));
}

async function summary(kindName: string, flags: { filter: string[]; format: string; address?: string }): Promise<void> {
  const kind = usage(() => checkSummaryKind(kindName));
  const filters = filtersOf(kind, flags.filter);
  const format = checkFormat(flags.format);
  const result = await withClient(flags.address, (client) => client.summary(kind, { filters }));
  process.stdout.write(format === "table" ? summaryReport(kind, result) : structured(result, format));
}

async function memory(flags: MemoryOptions & { address?: string }): Promise<void> {
  if (!["node", "owner"].includes(flags.groupBy)) throw new CliError(`--group-by ${flags.groupBy}: say node or owner`, 2);
  if (flags.sortBy !== undefined && !["size", "pid", "refType"].includes(flags.sortBy)) throw new CliError(`--sort-by ${flags.sortBy}: say size, pid or refType`, 2);
  const { objects, stores } = await withClient(flags.address, async (client) => {
    const all: state.ObjectStateItem[] = [];
    let pageToken: string | null = null;
    do {
      const page: state.StatePage<state.ObjectStateItem> = await client.listObjects({ limit: 10_000, pageToken });
      all.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== null);
    return { objects: all, stores: (await client.summary("objects")).nodes };
  });
  process.stdout.write(memoryReport(objects, stores, flags));
}

async function timeline(flags: { output?: string; jobId?: string; address?: string }): Promise<void> {
  const events = await withClient(flags.address, (client) => client.timeline(flags.jobId !== undefined ? { jobId: flags.jobId } : {}));
  const file = path.resolve(flags.output ?? `lux-timeline-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(events));
  process.stdout.write(`Wrote ${events.length} task runs to ${file}: open it in Perfetto (ui.perfetto.dev) or chrome://tracing.\n`);
}

/** Adds the state commands to `lux`. */
export function addStateCommands(cmd: Command): void {
  cmd
    .command("list")
    .description("List tasks, actors, objects, nodes, jobs, placement-groups or workers of a cluster, one page at a time.")
    .argument("<kind>", "tasks, actors, objects, nodes, jobs, placement-groups or workers")
    .addOption(filterOption())
    .addOption(new Option("--limit <n>", "items per page").argParser(positiveInt).default(100))
    .option("--page-token <token>", "the next page of an earlier listing (its footer, or nextPageToken)")
    .option("--detail", "every field of each item")
    .option("--format <format>", "table, json or yaml (json and yaml: { items, nextPageToken, total, dropped })", "table")
    .addOption(addressOption())
    .action(list);
  cmd
    .command("get")
    .description("Show one task, actor, object, node, job, placement group or worker, with detail.")
    .argument("<kind>", "tasks, actors, objects, nodes, jobs, placement-groups or workers")
    .argument("<id>", "its id")
    .option("--format <format>", "yaml, json or table", "yaml")
    .addOption(addressOption())
    .action(get);
  cmd
    .command("summary")
    .description("Count tasks (by function) or actors (by class) by state, or objects by reference type and call site.")
    .argument("<kind>", "tasks, actors or objects")
    .addOption(filterOption())
    .option("--format <format>", "table, json or yaml", "table")
    .addOption(addressOption())
    .action(summary);
  cmd
    .command("memory")
    .description("Every live object with its size, owner, node and why it is held; then each node's object store and spilling.")
    .option("--group-by <node|owner>", "group objects by the node holding the reference, or by owner", "node")
    .option("--sort-by <size|pid|refType>", "order within a group (default: creation order)")
    .addOption(addressOption())
    .action(memory);
  cmd
    .command("timeline")
    .description("Write the runs of the tasks the cluster keeps as Chrome trace events (Perfetto, chrome://tracing).")
    .option("--output <file>", "where to write (default: lux-timeline-<time>.json here)")
    .option("--job-id <id>", "only this job's tasks")
    .addOption(addressOption())
    .action(timeline);
}
