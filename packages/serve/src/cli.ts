/**
 * The `lux-serve` command, which `lux serve …` runs (git-style): `run` (foreground), `deploy`
 * (declarative), `status` (YAML), `build` (a config from code) and `shutdown`. The cluster is
 * `--address`, else LUX_ADDRESS (else, for `run`, what `lux.init()` finds or starts).
 * Importing a TypeScript application needs a loader: the command runs itself again under tsx
 * when the project has it.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import * as lux from "lux";
import { stringify } from "yaml";
import { buildConfig } from "./build-config.js";
import { deployFile, runTarget, serveStatusYaml, type RunFlags } from "./cli-actions.js";
import { shutdown } from "./api.js";

async function connect(address: string | undefined, orStart: boolean): Promise<void> {
  const given = address ?? process.env["LUX_ADDRESS"];
  await lux.init(given !== undefined && given !== "" ? { address: given } : orStart ? {} : { address: "auto" });
}

function program(): Command {
  const cmd = new Command("lux serve").description("Online serving on a Lux cluster (@lux/serve).").exitOverride().enablePositionalOptions();
  cmd
    .command("run <target>")
    .description("Deploy an application (module.ts:export, or a config YAML) and stay in the foreground; Ctrl-C shuts serve down.")
    .option("--address <host:port>", "the cluster (default: LUX_ADDRESS, else the one lux.init() finds or starts)")
    .option("--name <name>", "the application's name (an import path only)", "default")
    .option("--route-prefix <prefix>", "where HTTP reaches it (an import path only)", "/")
    .option("--host <ip>", "address the proxies bind", "127.0.0.1")
    .option("--port <port>", "port the proxies bind (0: a free one)", "8000")
    .option("--args <json>", "arguments of a builder function export, as JSON")
    .action(async (target: string, opts: RunFlags & { address?: string }) => {
      await connect(opts.address, true);
      await runTarget(target, opts);
    });
  cmd
    .command("deploy <config>")
    .description("Deploy the applications of a config YAML: those not in it are deleted, unchanged ones left running.")
    .option("--address <host:port>", "the cluster (default: LUX_ADDRESS, else the local one)")
    .action(async (config: string, opts: { address?: string }) => {
      await connect(opts.address, false);
      process.stdout.write(await deployFile(config));
      await lux.shutdown();
    });
  cmd
    .command("status")
    .description("Print the applications, their deployments and the proxies, as YAML.")
    .option("--address <host:port>", "the cluster (default: LUX_ADDRESS, else the local one)")
    .action(async (opts: { address?: string }) => {
      await connect(opts.address, false);
      process.stdout.write(await serveStatusYaml());
      await lux.shutdown();
    });
  cmd
    .command("build <importPath>")
    .description("Print (or write, -o) a config YAML for the application of an import path, with its deployments' options.")
    .option("-o, --output <file>", "write it to this file")
    .option("--name <name>", "the application's name", "default")
    .option("--route-prefix <prefix>", "its routePrefix", "/")
    .action(async (importPath: string, opts: { output?: string; name: string; routePrefix: string }) => {
      const yaml = stringify(await buildConfig(importPath, opts, opts.output !== undefined ? path.dirname(path.resolve(opts.output)) : process.cwd()));
      if (opts.output !== undefined) writeFileSync(opts.output, yaml);
      else process.stdout.write(yaml);
    });
  cmd
    .command("shutdown")
    .description("Delete every application, stop the proxies and end the controller.")
    .option("--address <host:port>", "the cluster (default: LUX_ADDRESS, else the local one)")
    .action(async (opts: { address?: string }) => {
      await connect(opts.address, false);
      await shutdown();
      process.stdout.write("serve is shut down\n");
      await lux.shutdown();
    });
  return cmd;
}

/** Whether this process can import TypeScript (a loader such as tsx is registered). */
function hasLoader(): boolean {
  return process.execArgv.some((a) => /^--(?:import|loader|experimental-loader)(?:=|$)/.test(a)) || process.env["LUX_SERVE_NO_LOADER"] === "1";
}

/** Runs this command again under tsx (found from here), so TypeScript applications import. */
async function underTsx(argv: readonly string[]): Promise<number | undefined> {
  let tsx: string;
  try {
    tsx = import.meta.resolve("tsx");
  } catch {
    return undefined;
  }
  const child = spawn(process.execPath, [...process.execArgv, "--import", tsx, process.argv[1] as string, ...argv], { stdio: "inherit" });
  const forward = (s: NodeJS.Signals): void => void child.kill(s);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

/** Runs the command line `argv` (without "lux serve"); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const needsCode = ["run", "deploy", "build"].includes(argv[0] ?? "");
  if (needsCode && !hasLoader() && process.argv[1] !== undefined) {
    const code = await underTsx(argv);
    if (code !== undefined) return code;
  }
  try {
    await program().parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`lux serve: ${e instanceof lux.LuxError || e instanceof TypeError ? e.message : String((e as Error).stack ?? e)}\n`);
    if (lux.isInitialized()) await lux.shutdown().catch(() => undefined);
    return 1;
  }
}
