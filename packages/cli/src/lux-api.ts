/**
 * The public Lux API as the `lux` package gives it: @lux/core with @lux/launcher registered,
 * so `lux.init()` can start a private cluster. The microbenchmark uses it; the CLI cannot
 * import the `lux` package itself (that package depends on this one for its bin).
 */
import { setClusterLauncher } from "@lux/core/internal";
import { initLauncher } from "@lux/launcher";

setClusterLauncher(initLauncher);

export * from "@lux/core";
