/**
 * Registers @lux/launcher with core, as the `lux` package does, so `lux.init()` can start a
 * private cluster from the microbenchmark. The CLI cannot import the `lux` package itself
 * (that package depends on this one for its bin). Import it for its effect, and take the API
 * from "@lux/core" directly: a namespace re-exported from inside a bundle is an object of
 * getters, which costs a call on every `lux.get`.
 */
import { setClusterLauncher } from "@lux/core/internal";
import { initLauncher } from "@lux/launcher";

setClusterLauncher(initLauncher);
