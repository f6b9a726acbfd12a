/**
 * The fake Kubernetes API server's kubelet: it runs each pod's first container's command as a
 * process of this machine (`lux` is the lux package's command), with the container's env (a
 * literal `value`, a Secret's key by `secretKeyRef`, or the pod's `metadata.name`,
 * `metadata.namespace` or `status.podIP` by `fieldRef`) and `$(VAR)` expanded in its args. The
 * pod is Running once the process started, Succeeded or Failed when it exits; a deleted pod's
 * process gets SIGTERM (SIGKILL after the grace period) and the pod goes once it exited.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** A pod as the fake stores it: Kubernetes' JSON shape, the fields the fake uses typed. */
export interface FakePod {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec: { containers: FakeContainer[]; [k: string]: unknown };
  status?: Record<string, unknown>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

export interface FakeContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  [k: string]: unknown;
}

export interface KubeletHost {
  /** A Secret's data (base64 values), if it exists. */
  secret(namespace: string, name: string): Record<string, string> | undefined;
  /** The pod changed (its status): store it and tell the watchers. */
  updated(pod: FakePod): void;
  /** The deleted pod's process is gone: remove it. */
  removed(pod: FakePod): void;
}

/** The lux package's command: `node <lux>/bin/lux.js`. */
function luxCommand(): string[] {
  const entry = fileURLToPath(import.meta.resolve("lux"));
  return [process.execPath, path.join(path.dirname(path.dirname(entry)), "bin", "lux.js")];
}

export class FakeKubelet {
  private readonly processes = new Map<string, ChildProcess>();
  private readonly executables: Record<string, string[]>;

  constructor(
    private readonly host: KubeletHost,
    private readonly logDir: string,
    executables: Record<string, string[]> | undefined,
    private readonly graceMs: number,
  ) {
    this.executables = executables ?? { lux: luxCommand() };
  }

  /** Starts the pod's process (a pod that cannot start stays Pending, or fails, as a kubelet's would). */
  run(pod: FakePod): void {
    const container = pod.spec.containers[0];
    const key = podKey(pod);
    if (container === undefined || container.command === undefined || container.command.length === 0) {
      this.setStatus(pod, { phase: "Failed", reason: "NoCommand", message: "the fake kubelet runs a container's command, and this pod's first container has none" });
      return;
    }
    const env = this.envOf(pod, container);
    if (typeof env === "string") {
      this.setStatus(pod, { phase: "Pending", reason: "CreateContainerConfigError", message: env });
      return;
    }
    const [exe, ...rest] = container.command;
    const args = [...(this.executables[exe as string] ?? [exe as string]), ...rest, ...(container.args ?? [])].map((a) => expand(a, env));
    const out = fs.openSync(path.join(this.logDir, `${pod.metadata.namespace}_${pod.metadata.name}.log`), "a");
    let child: ChildProcess;
    try {
      child = spawn(args[0] as string, args.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", out, out] });
    } finally {
      fs.closeSync(out);
    }
    child.on("error", () => undefined);
    this.processes.set(key, child);
    child.once("spawn", () => this.setStatus(pod, { phase: "Running", podIP: "127.0.0.1", hostIP: "127.0.0.1", startTime: new Date().toISOString() }));
    child.once("exit", (code, signal) => {
      this.processes.delete(key);
      if (pod.metadata.deletionTimestamp !== undefined) {
        this.host.removed(pod);
        return;
      }
      const ok = code === 0;
      this.setStatus(pod, {
        phase: ok ? "Succeeded" : "Failed",
        ...(ok ? {} : { reason: "Error", message: `container ${container.name} exited (${signal ?? `code ${code}`})` }),
        containerStatuses: [{ name: container.name, state: { terminated: { exitCode: code ?? 137, reason: ok ? "Completed" : "Error", ...(signal !== null ? { signal } : {}) } } }],
      });
    });
  }

  /** The pod was deleted: its process is stopped (SIGTERM, then SIGKILL after the grace period); no process, it goes at once. */
  stop(pod: FakePod): void {
    const child = this.processes.get(podKey(pod));
    if (child === undefined) {
      this.host.removed(pod);
      return;
    }
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), this.graceMs);
    child.once("exit", () => clearTimeout(timer));
  }

  /** Pids of the pods' processes that run. */
  pids(): number[] {
    return [...this.processes.values()].map((c) => c.pid ?? 0).filter((p) => p > 0);
  }

  /** Ends every process (SIGTERM, SIGKILL after the grace period). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), this.graceMs);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  }

  private setStatus(pod: FakePod, status: Record<string, unknown>): void {
    pod.status = { ...status };
    this.host.updated(pod);
  }

  /** The container's environment, or why it cannot be made (a missing Secret or key). */
  private envOf(pod: FakePod, container: FakeContainer): Record<string, string> | string {
    const env: Record<string, string> = {};
    for (const v of container.env ?? []) {
      if (v.value !== undefined) env[v.name] = expand(v.value, env);
      const ref = v.valueFrom?.secretKeyRef;
      if (ref !== undefined) {
        const data = this.host.secret(pod.metadata.namespace, ref.name);
        const value = data?.[ref.key];
        if (value === undefined) return `secret "${ref.name}" ${data === undefined ? "not found" : `has no key "${ref.key}"`}`;
        env[v.name] = Buffer.from(value, "base64").toString("utf8");
      }
      const field = v.valueFrom?.fieldRef?.fieldPath;
      if (field === "metadata.name") env[v.name] = pod.metadata.name;
      else if (field === "metadata.namespace") env[v.name] = pod.metadata.namespace;
      else if (field === "status.podIP") env[v.name] = "127.0.0.1";
    }
    return env;
  }
}

export function podKey(pod: FakePod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Kubernetes' `$(VAR)` in args and env values: a variable defined before, else left as written. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}
