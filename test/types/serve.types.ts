/**
 * Type tests for @lux/serve (issue 21, point 3): checked by `tsc` (npm run typecheck), never
 * run. Handles are typed from the deployment's class (or function); `bind` takes a bound
 * deployment where the constructor takes a DeploymentHandle. Each `@ts-expect-error` line
 * must be an error.
 */
import * as serve from "@lux/serve";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;
type ValueOf<R> = R extends serve.DeploymentResponse<infer V> ? V : never;

class Model {
  constructor(readonly factor: number) {}
  predict(x: number): number {
    return x * this.factor;
  }
  async label(x: number, prefix: string): Promise<string> {
    return `${prefix}${x}`;
  }
  async *tokens(text: string): AsyncGenerator<string> {
    yield* text.split(" ");
  }
}

class Ingress {
  constructor(readonly model: serve.DeploymentHandle<Model>) {}
  call(req: Request): Promise<string> {
    return req.text();
  }
}

const ModelD = serve.deployment(Model, { numReplicas: 2 });
const IngressD = serve.deployment(Ingress);

// bind: the constructor's arguments; a bound deployment where it takes a handle.
const app = IngressD.bind(ModelD.bind(3));
assertEqual<typeof app, serve.Application<Ingress>>(true);
// @ts-expect-error Model's constructor takes a number
ModelD.bind("three");
// @ts-expect-error a bound Ingress is not a Model
IngressD.bind(IngressD.bind(ModelD.bind(1)));

export async function handles(h: serve.DeploymentHandle<Model>, i: serve.DeploymentHandle<Ingress>): Promise<void> {
  // Methods: their arguments, and DeploymentResponse of their awaited result.
  assertEqual<ValueOf<ReturnType<typeof h.predict.remote>>, number>(true);
  assertEqual<ValueOf<ReturnType<typeof h.label.remote>>, string>(true);
  const n: number = await h.predict.remote(2);
  const s: string = await h.label.remote(1, "#").result({ timeoutMs: 100 });
  // A response passes un-awaited where its value is expected.
  h.predict.remote(h.predict.remote(1));
  // @ts-expect-error predict takes a number
  h.predict.remote("2");
  // @ts-expect-error a string response is not a number
  h.predict.remote(h.label.remote(1, "x"));
  // @ts-expect-error Model has no method "nothing"
  h.nothing.remote();
  // Streaming: what the method yields.
  for await (const t of h.options({ stream: true }).tokens.remote("a b")) {
    assertEqual<typeof t, string>(true);
  }
  // A class's `call` is `h.remote(...)`.
  assertEqual<ValueOf<ReturnType<typeof i.remote>>, string>(true);
  void n;
  void s;
}

// Function deployments: h.remote(...).
function triple(x: number): number {
  return x * 3;
}
const TripleD = serve.deployment(triple);
export async function functionHandle(h: serve.DeploymentHandle<typeof triple>): Promise<number> {
  // @ts-expect-error triple takes a number
  h.remote("x");
  return h.remote(4);
}
TripleD.bind();

// serve.batch: one input in, one result out.
class Batched {
  double = serve.batch(async (xs: number[]) => xs.map((x) => x * 2), { maxBatchSize: 4 });
}
assertEqual<Batched["double"], (x: number) => Promise<number>>(true);

// Options are checked by type too.
// @ts-expect-error numReplicas is a number
serve.deployment(Model, { numReplicas: "2" });
serve.deployment(Model, { autoscalingConfig: { minReplicas: 0, maxReplicas: 4, targetOngoingRequests: 2 } });
