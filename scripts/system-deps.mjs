#!/usr/bin/env node
// The system programs the test suite needs beyond Node: redis-server (the control
// service's persistent storage); prometheus and promtool, which scrape a cluster's metrics
// and check their text in test/integration/prometheus.test.ts; chromium (the dashboard's
// browser tests and benchmark, driven by playwright-core; Debian's build, never a browser
// download); openssl (`lux cert`, which the TLS tests, bench/security.ts and bench/transfer.ts use
// to make certificates, and `openssl speed` in those benchmarks); kubectl (Debian's kubernetes-client),
// whose kustomize renders deploy/kubernetes offline for packages/autoscaler/test/manifests.test.ts.
// `npm test` runs this first: a missing one is installed from Debian's apt when we run as
// root, and otherwise named with the command that installs it, and the run stops before any
// test (exit 1).
import { spawnSync } from "node:child_process";

const NEEDED = [
  { program: "redis-server", apt: "redis-server", brew: "redis" },
  { program: "prometheus", apt: "prometheus", brew: "prometheus" },
  { program: "promtool", apt: "prometheus", brew: "prometheus" },
  { program: "chromium", apt: "chromium", brew: "--cask chromium" },
  { program: "openssl", apt: "openssl", brew: "openssl" },
  { program: "kubectl", apt: "kubernetes-client", brew: "kubectl" },
];

const onPath = (program) => spawnSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" }).status === 0;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

const missing = NEEDED.filter((n) => !onPath(n.program));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((n) => n.apt))];
if (isRoot && onPath("apt-get")) {
  console.log(`system-deps: installing ${packages.join(" ")} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args) => spawnSync("apt-get", args, { stdio: "inherit", env }).status === 0;
  run(["update", "-qq"]);
  run(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
}

const still = missing.filter((n) => !onPath(n.program));
if (still.length === 0) process.exit(0);
const names = still.map((n) => n.program).join(", ");
console.error(
  [
    `system-deps: the tests need ${names}, which ${still.length === 1 ? "is" : "are"} not on the PATH. Install ${still.length === 1 ? "it" : "them"}, then run npm test again:`,
    `  Debian/Ubuntu:  sudo apt-get install -y ${[...new Set(still.map((n) => n.apt))].join(" ")}`,
    `  macOS:          brew install ${[...new Set(still.map((n) => n.brew))].join(" ")}`,
  ].join("\n"),
);
process.exit(1);
