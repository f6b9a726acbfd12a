/** The actor whose worker the `worker` target attacks (its `ping` is what fuzzed actor calls name). */
import * as lux from "lux";

export const FuzzTarget = lux.remote(
  class FuzzTarget {
    ping(): string {
      return "pong";
    }
  },
);
