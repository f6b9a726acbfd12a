/** The `lux` command line (the `lux` package's bin runs `main`), and `lux cert`'s functions for tests and benchmarks. */
export { main } from "./main.js";
export { createCa, issueCert, type IssueOptions } from "./cert.js";
