/** What the Tuner was given to run, recognized once: its kind, name and what each trial reserves. */
import { InvalidOptionError } from "lux";
import { DataParallelTrainer } from "@lux/train";
import { trainerDemand } from "@lux/train/internal";
import { addResources, type Resources } from "./capacity.js";
import { isTrainableClass, WithResources, type TrainableClass } from "./trainable.js";

export type TrainableSpec = (
  | { readonly kind: "function"; readonly fn: (config: unknown) => unknown }
  | { readonly kind: "class"; readonly cls: TrainableClass<unknown> }
  | { readonly kind: "trainer"; readonly trainer: DataParallelTrainer<never> }
) & {
  /** The trials' name prefix: the function's or class's name. */
  readonly name: string;
  /** A trial actor's bundles (more than one: a placement group per trial). */
  readonly bundles: readonly Resources[];
  /** All a running trial reserves. */
  readonly demand: Resources;
};

function nameOf(value: unknown, fallback: string): string {
  const raw = (value as { name?: unknown }).name;
  const n = typeof raw === "string" ? raw.replace(/[^\w.-]/g, "") : "";
  return n === "" ? fallback : n;
}

export function trainableSpec(given: unknown): TrainableSpec {
  const wrapped = given instanceof WithResources ? (given as WithResources<unknown>) : undefined;
  const t = wrapped?.trainable ?? given;
  if (t instanceof DataParallelTrainer) {
    if (wrapped !== undefined) throw new InvalidOptionError({ option: "trainable", expected: "a DataParallelTrainer without withResources: it reserves its workers (its scalingConfig)", received: "withResources(trainer)" });
    const d = trainerDemand(t);
    return { kind: "trainer", trainer: t, name: nameOf(t.constructor, "DataParallelTrainer"), bundles: [], demand: addResources({}, d.bundle, d.numWorkers) };
  }
  const resources = wrapped?.resources ?? { CPU: 1 };
  const bundles: Resources[] = Array.isArray(resources) ? (resources as Resources[]) : [resources as Resources];
  const demand = bundles.reduce<Resources>((a, b) => addResources(a, b), {});
  if (isTrainableClass(t)) return { kind: "class", cls: t, name: nameOf(t, "Trainable"), bundles, demand };
  if (typeof t === "function") {
    if (/^class\b/.test(Function.prototype.toString.call(t))) {
      throw new InvalidOptionError({ option: "trainable", expected: "a function, a class extending tune.Trainable (or implementing all its methods: setup, step, saveCheckpoint, loadCheckpoint, resetConfig, cleanup), or a DataParallelTrainer", received: `class ${t.name}` });
    }
    return { kind: "function", fn: t as (config: unknown) => unknown, name: nameOf(t, "trainable"), bundles, demand };
  }
  throw new InvalidOptionError({ option: "trainable", expected: "a function (config) => …, a class extending tune.Trainable, or a DataParallelTrainer (maybe in tune.withResources)", received: t });
}
