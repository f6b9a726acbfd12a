#!/usr/bin/env node
// Builds each package's runtime JavaScript with esbuild: one file per entry point (and a
// few shared chunks), instead of one file per source module. `tsc -b` type-checks and
// writes the declarations (.d.ts) only; this writes the .js that Node runs.
//
// Why: every process of a cluster (control service, raylets, each worker, the driver)
// loads Lux's modules at start, and on Node 20 each ESM module costs about half a
// millisecond to resolve, read, compile and link (more under a loader such as tsx).
// Splitting the sources into small files by job must not make workers start slower.
//
// Packages stay separate bundles (other packages, ours included, are imports), so one
// process holds one instance of each package whichever way it is reached. Entries of one
// package share its chunks, so `@lux/core` and `@lux/core/internal` share their state.
//
//   node scripts/bundle.mjs            # every package
//   node scripts/bundle.mjs core gcs   # some
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");

/**
 * Source entry points per package (src/<name>.ts → dist/<basename>.js): what its
 * package.json exports, plus files started as their own process or thread.
 */
const ENTRIES = {
  protocol: ["index"],
  common: ["index"],
  "object-store": ["index"],
  gcs: ["index", "main"],
  raylet: ["index", "main"],
  core: ["index", "internal", "worker-main", "store-sync-worker", "module-scope-hooks", "npm-env-hooks"],
  launcher: ["index"],
  autoscaler: ["index", "main"],
  cli: ["index", "microbenchmark/startup-child"],
  "job-client": ["index"],
  lux: ["index", "testing", "util", "job", "autoscaler"],
  util: ["index"],
  data: ["index"],
  serve: ["index", "cli"],
  rl: ["index"],
  train: ["index", "tfjs", "internal"],
  tune: ["index"],
  // The job supervisor actor's module is an entry of its own so that its `lux.remote` call
  // never lands in main.js: workers import that module to find the class.
  dashboard: ["index", "main", "jobs/job-supervisor"],
  testing: ["index"],
};

/** Every export of a package's package.json must be an entry here (else it would not be built). */
function checkExports(pkg, entries) {
  const json = JSON.parse(readFileSync(path.join(root, "packages", pkg, "package.json"), "utf8"));
  // Data files (a JSON schema) are exported as they are, not built.
  const exported = Object.values(json.exports ?? {})
    .map((e) => (typeof e === "string" ? e : e.default))
    .filter((file) => file.endsWith(".js"));
  const built = new Set(entries.map((e) => `./dist/${path.basename(e)}.js`));
  const missing = exported.filter((file) => !built.has(file));
  if (missing.length > 0) {
    throw new Error(`scripts/bundle.mjs: packages/${pkg} exports ${missing.join(", ")}, which ENTRIES does not build; add the entry`);
  }
}

/** The .js (and maps) a previous build left in dist/: old bundles, or tsc's per-module output. */
function removeOldJs(dist) {
  let entries;
  try {
    entries = readdirSync(dist, { withFileTypes: true, recursive: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isFile() && /\.js(\.map)?$/.test(e.name)) rmSync(path.join(e.parentPath, e.name));
  }
}

async function bundle(pkg) {
  const entries = ENTRIES[pkg];
  if (entries === undefined) throw new Error(`scripts/bundle.mjs: packages/${pkg} has no ENTRIES; add its entry points`);
  checkExports(pkg, entries);
  const dir = path.join(root, "packages", pkg);
  const dist = path.join(dir, "dist");
  removeOldJs(dist);
  await build({
    entryPoints: Object.fromEntries(entries.map((e) => [path.basename(e), path.join(dir, "src", `${e}.ts`)])),
    outdir: dist,
    // Chunks sit beside the entries: code that finds a sibling file by import.meta.url
    // (the worker entry, the store's helper thread, the native addon) finds it there.
    chunkNames: "chunk-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
    metafile: true,
  }).then((result) => refuseGetterNamespaces(pkg, result.metafile));
}

/**
 * `import * as x` of a module of the bundle that does `export * from "<another package>"`
 * makes esbuild build `x` at run time as an object of getters: every `x.f()` then costs a
 * getter call (it made `lux.get` 40% slower in the microbenchmark). Import the other
 * package directly instead.
 */
function refuseGetterNamespaces(pkg, metafile) {
  for (const file of Object.keys(metafile.outputs)) {
    if (!file.endsWith(".js")) continue;
    if (readFileSync(path.join(root, file), "utf8").includes("__reExport(")) {
      throw new Error(
        `scripts/bundle.mjs: packages/${pkg}: ${file} builds a namespace of getters (a module that does \`export * from\` another package is imported with \`import * as\`); import that package directly`,
      );
    }
  }
}

/**
 * The dashboard's web UI (packages/dashboard/ui, preact) → packages/dashboard/dist/ui: static
 * files the head's HTTP server serves. After the package's bundle, whose clean-up of old
 * .js in dist/ would remove the UI's.
 */
async function buildDashboardUi() {
  const { build: viteBuild } = await import("vite");
  const ui = path.join(root, "packages", "dashboard", "ui");
  await viteBuild({
    root: ui,
    configFile: false,
    base: "/",
    logLevel: "warn",
    publicDir: path.join(ui, "public"),
    esbuild: { jsx: "automatic", jsxImportSource: "preact" },
    build: {
      outDir: path.join(root, "packages", "dashboard", "dist", "ui"),
      emptyOutDir: true,
      target: "es2022",
      // The polyfill would be an inline script, which the server's Content-Security-Policy refuses.
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
  });
}

/** Packages with more to build after their bundle. */
const AFTER = { dashboard: buildDashboardUi };

const selected = process.argv.slice(2);
const packages = selected.length > 0 ? selected : readdirSync(path.join(root, "packages"));
for (const pkg of packages) {
  if (!(pkg in ENTRIES) && selected.length === 0) {
    throw new Error(`scripts/bundle.mjs: packages/${pkg} has no ENTRIES; add its entry points`);
  }
}
await Promise.all(packages.map((pkg) => bundle(pkg).then(() => AFTER[pkg]?.())));
