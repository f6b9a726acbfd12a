// ESLint flat config for the Lux monorepo.
//
// What it enforces (CONVENTIONS.md, habit 13 and "Direction"):
// - async hygiene with type information: no floating promises, no promises where
//   a void callback or a condition is expected; in daemon code (gcs, raylet, object-store,
//   launcher) not even `void promise`: a rejection nobody handles ends the daemon;
// - no import cycles inside a package, no default exports;
// - import direction between packages (one `no-restricted-imports` block per
//   package directory, generated from ALLOWED below);
// - nobody reaches into another package's `src/` or `dist/`, neither by deep
//   package path (`@lux/core/src/x.js`) nor by relative path (`../../core/src/x.js`);
// - every package imported is declared: a package's src/ and bin/ only what its own
//   package.json lists under "dependencies"; tests, bench, examples and scripts what the
//   root package.json lists, plus our workspace packages (test/lint/ checks this rule fires);
// - `.js`/`.mjs` files (scripts/, packages/*/bin/, bench/, fixtures, this file) get
//   ESLint's recommended rules, without type information;
// - no plain `Error` in the packages whose errors reach users (core, cli, lux, launcher
//   and the daemons: gcs, raylet, object-store): they make coded LuxErrors
//   (TypeError/RangeError for bad arguments; a plain Error only as the `cause` of a
//   coded one);
// - production files and functions stay small (habit 10: max-lines, max-lines-per-function).
//
// Type information: every linted TypeScript file belongs to a tsconfig.json (`src/` to
// its package's, tests to their directory's: packages/*/test, test/*, bench, examples),
// the same ones `npm run typecheck` checks. A new directory of TypeScript files needs a
// tsconfig.json (listed in the root tsconfig.json) before it can be linted.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

/** Which of our packages each package's production code (src/, bin/) may import. */
const ALLOWED = {
  protocol: [],
  common: ["@lux/protocol"],
  "object-store": ["@lux/common", "@lux/protocol"],
  gcs: ["@lux/common", "@lux/protocol"],
  raylet: ["@lux/common", "@lux/protocol", "@lux/object-store"],
  // The launcher import.meta.resolve()s "@lux/gcs/main" and "@lux/raylet/main" to spawn them
  // (declared in its package.json); that is not an import.
  launcher: ["@lux/common", "@lux/protocol", "@lux/object-store"],
  // The autoscaler process and its providers talk to the control service through the
  // launcher's client and start nodes as `lux start` processes (found at run time).
  autoscaler: ["@lux/common", "@lux/protocol", "@lux/launcher"],
  // lux.init()'s private cluster comes from @lux/launcher, registered by the `lux` package.
  core: ["@lux/common", "@lux/protocol", "@lux/object-store"],
  // The jobs API's client (lux/job, lux job): HTTP to the head, and the control service only to
  // find the head's URL (@lux/launcher's client) and the token (@lux/common's token files).
  "job-client": ["@lux/common", "@lux/launcher"],
  cli: ["@lux/common", "@lux/core", "@lux/launcher", "@lux/job-client", "@lux/autoscaler"],
  // @lux/testing only for the `lux/testing` entry (src/testing.ts).
  lux: ["@lux/core", "@lux/cli", "@lux/launcher", "@lux/testing", "@lux/util", "@lux/job-client", "@lux/autoscaler"],
  // lux.util: built on core's public API as a user's code would be; @lux/core/internal for
  // the control service's KV and for shipping Pool's functions to its actors.
  util: ["@lux/core", "@lux/protocol"],
  testing: ["@lux/protocol", "@lux/common", "@lux/core/internal", "@lux/launcher"],
  // The head's HTTP server reads the cluster only through `lux` (lux.state); @lux/common for
  // the daemon plumbing its main shares with the other daemons (flags, log file, ready line);
  // @lux/protocol for the Clock its timers take.
  dashboard: ["lux", "@lux/common", "@lux/protocol"],
  // Ray Data for Lux: a library on the public API only, as a user's code would be.
  data: ["lux"],
  // Ray Serve for Lux: a library on the public API only, as a user's code would be.
  serve: ["lux"],
  // RLlib for Lux: the same, and @lux/tune's Trainable type (an Algorithm implements it); a
  // value import of @lux/tune is refused below (lux/rl-tune-types-only).
  rl: ["lux", "@lux/tune"],
  // Ray Train for Lux: on the public API of lux and @lux/data only.
  train: ["lux", "@lux/data"],
  // Ray Tune for Lux: on the public API of lux and @lux/train (and @lux/train/internal, its
  // hooks for libraries: the report host, a trainer's demand and variants).
  tune: ["lux", "@lux/train"],
};
const PACKAGE_DIRS = Object.keys(ALLOWED);

// A new package must say what it may import before it can be linted.
for (const dir of readdirSync(path.join(root, "packages"), { withFileTypes: true })) {
  if (dir.isDirectory() && !(dir.name in ALLOWED)) {
    throw new Error(
      `eslint.config.js: packages/${dir.name} has no entry in ALLOWED; add one listing the packages it may import.`,
    );
  }
}

/** Names of our workspace packages (`lux`, `@lux/…`): tests and tools may import any of them. */
const WORKSPACE_PACKAGES = PACKAGE_DIRS.map(
  (dir) => JSON.parse(readFileSync(path.join(root, "packages", dir, "package.json"), "utf8")).name,
);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Specifier is one of ours (`lux`, `lux/x`, `@lux/x`, `@lux/x/y`) and not in `allowed`. */
function forbiddenOwnPackages(allowed) {
  const ok = allowed.map((name) => `${escape(name)}(?:/|$)`);
  const notAllowed = ok.length > 0 ? `(?!${ok.join("|")})` : "";
  return `^${notAllowed}(?:lux|@lux/[^/]+)(?:/|$)`;
}

const DEEP_PACKAGE_PATH = {
  regex: "^(?:lux|@lux/[^/]+)/(?:src|dist)(?:/|$)",
  message:
    "Do not import another package's src/ or dist/. Import the package by name (\"@lux/x\") and export what you need from its src/index.ts.",
};
const RELATIVE_INTO_PACKAGES = {
  regex: "^\\.{1,2}/(?:.*/)?packages/[^/]+/(?:src|dist)(?:/|$)",
  message:
    "Do not import a package's src/ or dist/ by relative path. Import the package by name (\"@lux/x\" or \"lux\").",
};
/** From inside packages/<own>/…: `../../<other>/src/…` style paths. */
function relativeIntoSibling(own) {
  const others = PACKAGE_DIRS.filter((d) => d !== own).map(escape);
  return {
    regex: `^(?:\\.\\./)+(?:${others.join("|")})/(?:src|dist)(?:/|$)`,
    message:
      "Do not import another package's src/ or dist/ by relative path. Import the package by name (\"@lux/x\").",
  };
}

function restrictedImports(patterns) {
  return ["error", { patterns }];
}

/** Dynamic `import("…")` and type-level `import("…")` are not seen by no-restricted-imports. */
function restrictedDynamicImports(regex, message) {
  // esquery regex literals cannot contain "/": spell it \x2F.
  const re = regex.replaceAll("/", "\\x2F");
  return [
    "error",
    { selector: `ImportExpression > Literal.source[value=/${re}/]`, message },
    { selector: `TSImportType Literal[value=/${re}/]`, message },
  ];
}

/** A package's production code: its src/ (TypeScript) and bin/ (JavaScript). */
const productionFiles = (dir) => [`packages/${dir}/src/**/*.ts`, `packages/${dir}/bin/**/*.{js,mjs}`];

/**
 * Packages whose errors reach users' code (CONVENTIONS.md, habit 3): every error they make
 * is coded. The daemons' errors reach users too, as replies to the core worker's calls.
 */
const USER_FACING = new Set(["autoscaler", "core", "cli", "lux", "launcher", "gcs", "raylet", "object-store", "util", "job-client", "dashboard", "data", "serve", "train", "tune"]);
const PLAIN_ERROR_MESSAGE =
  "Users get coded errors: throw a LuxError class (declared with defineError, listed in ERROR_CODES and docs/errors.md; `new LuxError(message)` for a bug), or a TypeError/RangeError for an invalid argument. A plain Error may only be the `cause` of a coded error.";
const NO_PLAIN_ERRORS = [
  {
    // `new Error().stack` only captures a stack; it is never thrown.
    selector: "NewExpression[callee.name='Error']:not(Property[key.name='cause'] > NewExpression.value):not(MemberExpression > NewExpression.object)",
    message: PLAIN_ERROR_MESSAGE,
  },
  { selector: "CallExpression[callee.name='Error']", message: PLAIN_ERROR_MESSAGE },
];

function directionBlock(dir) {
  const allowed = ALLOWED[dir];
  const forbidden = forbiddenOwnPackages(allowed);
  const message =
    allowed.length > 0
      ? `packages/${dir} may import only ${allowed.join(", ")} of our packages (see CONVENTIONS.md "Direction"). Talk to daemons through protocol clients; production code never imports @lux/testing.`
      : `packages/${dir} may import none of our packages (see CONVENTIONS.md "Direction").`;
  return {
    name: `lux/direction/${dir}`,
    files: productionFiles(dir),
    rules: {
      "no-restricted-imports": restrictedImports([
        { regex: forbidden, message },
        DEEP_PACKAGE_PATH,
        RELATIVE_INTO_PACKAGES,
        relativeIntoSibling(dir),
      ]),
      "no-restricted-syntax": [
        ...restrictedDynamicImports(forbidden, message),
        ...(USER_FACING.has(dir) ? NO_PLAIN_ERRORS : []),
      ],
    },
  };
}

/** What may be imported at all, as the package manager sees it (type-only imports too). */
function dependenciesRule(packageDir, { devDependencies = false, optionalDependencies = false, whitelist = [] } = {}) {
  return [
    "error",
    {
      packageDir,
      devDependencies,
      optionalDependencies,
      peerDependencies: false,
      includeTypes: true,
      ...(whitelist.length > 0 ? { whitelist } : {}),
    },
  ];
}

/** Production code imports only what its own package.json lists under "dependencies". */
function dependenciesBlock(dir) {
  return {
    name: `lux/dependencies/${dir}`,
    files: productionFiles(dir),
    rules: { "import-x/no-extraneous-dependencies": dependenciesRule(path.join(root, "packages", dir)) },
  };
}

/** Packages whose code runs in the daemons (control service, raylet, its object store, their helpers in common) or supervises them. */
const DAEMON_PACKAGES = ["common", "gcs", "raylet", "object-store", "launcher"];

const TS_FILES = [
  "packages/*/src/**/*.ts",
  "packages/dashboard/ui/src/**/*.{ts,tsx}",
  "packages/*/test/**/*.ts",
  "test/**/*.ts",
  "bench/**/*.ts",
  "examples/**/*.ts",
];
const TEST_FILES = ["packages/*/test/**/*.ts", "test/**/*.ts"];
const JS_FILES = ["**/*.js", "**/*.mjs"];

export default defineConfig(
  {
    name: "lux/ignores",
    ignores: ["**/dist/**", "**/node_modules/**", "**/*.d.ts", "**/native/build/**", "packages/object-store/build/**"],
  },
  {
    // Plugins and module resolution, for every linted file (TypeScript and JavaScript).
    name: "lux/resolution",
    plugins: {
      "@typescript-eslint": tseslint.plugin,
      "import-x": importX,
    },
    settings: {
      // import-x parses dependencies itself (without type information) for no-cycle.
      "import-x/extensions": [".ts", ".tsx", ".mts", ".js", ".mjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx", ".mts"] },
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".tsx", ".mts", ".js", ".mjs", ".json", ".node"],
          // Relative imports are written "./x.js" and point at "./x.ts" (or the UI's "./x.tsx").
          extensionAlias: { ".js": [".ts", ".tsx", ".js"], ".mjs": [".mts", ".mjs"] },
          conditionNames: ["types", "import", "default"],
          // Keep workspace packages under node_modules/ so no-cycle treats them as
          // external (cross-package cycles are ruled out by the direction rules).
          symlinks: false,
        }),
      ],
    },
    rules: {
      "import-x/no-default-export": "error",
      "import-x/no-relative-packages": "error",
      "import-x/no-self-import": "error",
      "no-restricted-imports": restrictedImports([DEEP_PACKAGE_PATH, RELATIVE_INTO_PACKAGES]),
      // Tests, bench, examples and scripts: the root package.json, and any of our packages by
      // name (optional dependencies too: onnxruntime-node for examples/serve-onnx). Production
      // code gets its own package's list below.
      "import-x/no-extraneous-dependencies": dependenciesRule([root], { devDependencies: true, optionalDependencies: true, whitelist: WORKSPACE_PACKAGES }),
    },
  },
  {
    // Scripts, bins, fixtures and this file: plain ESM for Node, no type information.
    name: "lux/javascript",
    files: JS_FILES,
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.node },
    },
    rules: js.configs.recommended.rules,
  },
  {
    // ESLint reads its configuration from this file's default export.
    name: "lux/eslint-config",
    files: ["eslint.config.js"],
    rules: { "import-x/no-default-export": "off" },
  },
  {
    name: "lux/typescript",
    files: TS_FILES,
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: root,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's test()/describe() return promises the runner tracks itself.
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  // Production code: one direction block and one dependency block per package directory.
  ...PACKAGE_DIRS.map(directionBlock),
  ...PACKAGE_DIRS.map(dependenciesBlock),
  {
    // @lux/rl's algorithms implement tune.Trainable, and nothing more: a value import would
    // load @lux/tune (and @lux/train) in every process that uses rl.
    name: "lux/rl-tune-types-only",
    files: productionFiles("rl"),
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { paths: [{ name: "@lux/tune", allowTypeImports: true, message: "@lux/rl imports only types of @lux/tune (import type { Trainable } from \"@lux/tune\")." }] },
      ],
    },
  },
  {
    // Daemons (and the launcher that supervises them) run unattended: a promise nobody
    // handles that rejects is an unhandled rejection, which ends the process and everything
    // it holds. There `void promise` is no escape: attach .catch() (or await it).
    name: "lux/daemon-promises",
    files: DAEMON_PACKAGES.map((dir) => `packages/${dir}/src/**/*.ts`),
    rules: {
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: false, ignoreIIFE: false }],
    },
  },
  {
    // CONVENTIONS.md habit 10: small files with one job, functions that read as steps.
    // Production code only (tests may run long); blank lines and comments are not counted.
    name: "lux/size",
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // Tests (and bench/, which has no block of its own) may use any of our packages by name (including
    // @lux/testing), and their own package's src/ by relative path.
    name: "lux/tests",
    files: TEST_FILES,
    rules: {
      // node:test and mocks take callbacks typed as returning void; allow async ones there.
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false } },
      ],
    },
  },
  {
    // The dashboard's web UI runs in a browser (bundled by vite in scripts/bundle.mjs).
    name: "lux/dashboard-ui",
    files: ["packages/dashboard/ui/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Examples are what users copy: they use only what users install, `lux` and the libraries (@lux/data, @lux/serve, @lux/rl, @lux/train).
    name: "lux/examples",
    files: ["examples/**/*.ts"],
    rules: {
      "no-restricted-imports": restrictedImports([
        {
          regex: forbiddenOwnPackages(["lux", "@lux/data", "@lux/serve", "@lux/rl", "@lux/train", "@lux/tune"]),
          message: 'Examples use only the public API: import * as lux from "lux" (and the libraries, e.g. "@lux/data").',
        },
        DEEP_PACKAGE_PATH,
        RELATIVE_INTO_PACKAGES,
      ]),
    },
  },
);
