import { NotInitializedError } from "@lux/common";
import type { CoreWorker } from "./core-worker.js";
import { compileMethodOptions, type MethodOptions } from "./options.js";
import { registerWireExtension } from "./serialization/index.js";

/** Where handles find the core worker of the process they are used in. */
let currentCore: (operation: string) => CoreWorker = (operation) => {
  throw new NotInitializedError({ operation });
};

export function setCoreAccessor(get: (operation: string) => CoreWorker): void {
  currentCore = get;
}

const ACTOR_ID = Symbol("lux.actorId");
const CLASS_NAME = Symbol("lux.className");

/** The object behind every actor handle; users see it through a Proxy typed as ActorHandle<T>. */
export class ActorHandleState {
  readonly [ACTOR_ID]: string;
  readonly [CLASS_NAME]: string;
  constructor(actorId: string, className: string) {
    this[ACTOR_ID] = actorId;
    this[CLASS_NAME] = className;
  }
}

/** The actor id behind a handle, or undefined if `value` is not a handle. */
export function actorIdOf(value: unknown): string | undefined {
  return value instanceof ActorHandleState ? value[ACTOR_ID] : undefined;
}

function method(actorId: string, name: string, numReturns: number | undefined): object {
  return {
    remote: (...args: unknown[]) => {
      const refs = currentCore(`${name}.remote`).submitActorCall(actorId, name, args, numReturns ?? 1);
      return numReturns === undefined ? refs[0] : refs;
    },
    options: (opts: MethodOptions) => {
      // Checked even without numReturns, so an unknown option fails here, at the call site.
      const compiled = compileMethodOptions(opts);
      return method(actorId, name, opts.numReturns === undefined ? numReturns : compiled.numReturns);
    },
  };
}

/** Makes the handle for an actor: any property is a method stub; it is not a thenable. */
export function makeActorHandle(actorId: string, className: string): object {
  const state = new ActorHandleState(actorId, className);
  const methods = new Map<string, object>();
  return new Proxy(state, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop === "constructor") return Reflect.get(target, prop, receiver) as unknown;
      if (prop === "then" || prop === "toJSON") return undefined;
      if (prop === "toString") return () => `ActorHandle(${className}, ${actorId})`;
      let m = methods.get(prop);
      if (m === undefined) {
        m = method(actorId, prop, undefined);
        methods.set(prop, m);
      }
      return m;
    },
  });
}

registerWireExtension<ActorHandleState>({
  type: 2,
  Class: ActorHandleState,
  encode: (h) => [h[ACTOR_ID], h[CLASS_NAME]],
  decode: (data) => {
    const [actorId, className] = data as [string, string];
    return makeActorHandle(actorId, className) as ActorHandleState;
  },
});
