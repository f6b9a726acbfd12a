/** The `lux` command line (the `lux` package's bin runs `main`). */
export { main } from "./main.js";
