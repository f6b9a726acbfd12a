/**
 * Env ids: the built-in envs and those registered with `registerEnv`. A registered creator
 * is shipped (`lux.ship`) so env-runner actors in other processes can make the env too.
 */
import * as lux from "lux";
import { UnknownEnvError } from "lux";
import type { Env, EnvContext, EnvCreator } from "./env.js";
import { CartPole } from "./envs/cartpole.js";
import { GridWorld, type GridWorldConfig } from "./envs/grid-world.js";

const BUILT_IN: ReadonlyMap<string, EnvCreator> = new Map<string, EnvCreator>([
  ["CartPole-v1", (c: { maxEpisodeSteps?: number }) => new CartPole(c)],
  ["GridWorld", (c: GridWorldConfig) => new GridWorld(c)],
]);

interface Registered {
  creator: EnvCreator;
  shipped: lux.Shipped<EnvCreator> | undefined;
}

const registered = new Map<string, Registered>();

const LOCAL: EnvContext = { workerIndex: 0, numWorkers: 0, vectorIndex: 0 };

/**
 * Registers an env under `id`, made by `creator(envConfig, context)`. A registered id may
 * name an algorithm's env (`environment(id, { envConfig })`) and `makeEnv(id)`. Registering an
 * id again replaces it (a built-in id cannot be replaced).
 */
export function registerEnv<C>(id: string, creator: EnvCreator<C>): void {
  if (typeof id !== "string" || id.length === 0) throw new TypeError(`rl.registerEnv: the id must be a non-empty string, got ${String(id)}`);
  if (typeof creator !== "function") throw new TypeError(`rl.registerEnv("${id}"): the creator must be a function (envConfig) => env, got ${typeof creator}`);
  if (BUILT_IN.has(id)) throw new TypeError(`rl.registerEnv: "${id}" is a built-in env; register yours under another id`);
  registered.set(id, { creator: creator as EnvCreator, shipped: undefined });
}

/** Every id `makeEnv` knows: the built-in ones, then the registered ones. */
export function registeredEnvIds(): string[] {
  return [...BUILT_IN.keys(), ...registered.keys()];
}

/** Makes the env registered (or built in) as `id` with `envConfig`. An unknown id throws `UnknownEnvError` listing the known ones. */
export function makeEnv<O = unknown, A = unknown>(id: string, envConfig: object = {}, context: EnvContext = LOCAL): Env<O, A> {
  const creator = BUILT_IN.get(id) ?? registered.get(id)?.creator;
  if (creator === undefined) throw new UnknownEnvError({ env: id, registered: registeredEnvIds() });
  return creator(envConfig, context) as Env<O, A>;
}

/** Whether `id` names an env (built in or registered in this process). */
export function isKnownEnv(id: string): boolean {
  return BUILT_IN.has(id) || registered.has(id);
}

/** How an env runner in another process makes `id`: by name if built in, else by the registered creator, shipped. */
export function envSource(id: string): EnvSource {
  if (BUILT_IN.has(id)) return { id };
  const r = registered.get(id);
  if (r === undefined) throw new UnknownEnvError({ env: id, registered: registeredEnvIds() });
  r.shipped ??= lux.ship(r.creator);
  return { id, creator: r.shipped };
}

/** An env id with what makes it in another process. */
export interface EnvSource {
  readonly id: string;
  readonly creator?: lux.Shipped<EnvCreator>;
}

/**
 * Makes an env from its source in this process (an env runner): runner 0 is the driver's,
 * where the id is registered; actors load the shipped creator.
 */
export async function makeEnvFrom(source: EnvSource, envConfig: object, context: EnvContext): Promise<Env> {
  if (source.creator === undefined || context.workerIndex === 0) return makeEnv(source.id, envConfig, context);
  const creator = await lux.loadShipped(source.creator);
  return creator(envConfig, context);
}
