/**
 * The overview: live charts of the cluster's CPU, GPU, memory and object store, pushed by
 * the server each second (`/api/stream/cluster`, Server-Sent Events), and counts of tasks
 * and actors by state.
 */
import type { CountSummary } from "@lux/protocol";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api.js";
import { Chart, type Point } from "../components/chart.js";
import { Problem } from "../components/parts.js";
import { amount, bytes, count } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

/** What the server pushes (packages/dashboard/src/cluster-sampler.ts ClusterSample). */
interface ClusterSample {
  t: number;
  nodes: number;
  CPU: Usage;
  GPU: Usage;
  memory: Usage;
  store: Usage;
}
interface Usage {
  used: number;
  total: number;
}

/** The charts span the samples there are, at least a minute and at most five. */
const MIN_WINDOW_MS = 60_000;
const MAX_WINDOW_MS = 5 * 60_000;
/** Samples kept in the page (10 minutes at one a second). */
const KEEP = 600;

type Connection = "connecting" | "live" | "reconnecting";

function useClusterStream(): { samples: ClusterSample[]; link: Connection; problem: string | undefined } {
  const [samples, setSamples] = useState<ClusterSample[]>([]);
  const [link, setLink] = useState<Connection>("connecting");
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    const source = new EventSource("/api/stream/cluster");
    source.addEventListener("history", (e) => {
      setSamples((JSON.parse((e as MessageEvent<string>).data) as ClusterSample[]).slice(-KEEP));
      setLink("live");
    });
    source.addEventListener("sample", (e) => {
      const s = JSON.parse((e as MessageEvent<string>).data) as ClusterSample;
      setSamples((old) => [...old.slice(-(KEEP - 1)), s]);
      setProblem(undefined);
    });
    source.addEventListener("problem", (e) => setProblem((JSON.parse((e as MessageEvent<string>).data) as { message: string }).message));
    source.onerror = () => setLink("reconnecting");
    return () => source.close();
  }, []);
  return { samples, link, problem };
}

export function Overview(): JSX.Element {
  const { samples, link, problem } = useClusterStream();
  const last = samples[samples.length - 1];
  const end = last?.t ?? 0;
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, end - (samples[0]?.t ?? end)));
  const series = (pick: (s: ClusterSample) => Usage): Point[] => samples.map((s) => ({ t: s.t, ...pick(s) }));
  return (
    <>
      <h1>Overview</h1>
      <p class="muted" data-link={link}>
        {link === "live" ? "Live" : link === "connecting" ? "Connecting…" : "Reconnecting…"}
        {last !== undefined ? ` · ${last.nodes} alive node${last.nodes === 1 ? "" : "s"} · updated every second` : ""}
      </p>
      {problem !== undefined ? <Problem message={problem} /> : null}
      <div class="charts">
        <Chart title="CPU" points={series((s) => s.CPU)} end={end} windowMs={windowMs} format={amount} unit="CPUs" />
        <Chart title="GPU" points={series((s) => s.GPU)} end={end} windowMs={windowMs} format={amount} unit="GPUs" />
        <Chart title="Memory" points={series((s) => s.memory)} end={end} windowMs={windowMs} format={bytes} />
        <Chart title="Object store" points={series((s) => s.store)} end={end} windowMs={windowMs} format={bytes} />
      </div>
      <div class="summaries">
        <Summary kind="tasks" title="Tasks" />
        <Summary kind="actors" title="Actors" />
      </div>
    </>
  );
}

/** Counts by state, each linking to the list filtered by it. */
function Summary(props: { kind: "tasks" | "actors"; title: string }): JSX.Element {
  const url = `/api/summary/${props.kind}`;
  const { data, error } = useLoad(url, (signal) => getJson<CountSummary>(url, signal), 5000);
  return (
    <section class="summary" aria-label={`${props.title} by state`}>
      <h2>
        <Link href={`/${props.kind}`}>{props.title}</Link> <span class="muted">{data !== undefined ? count(data.total) : ""}</span>
      </h2>
      {error !== undefined ? <Problem message={error.message} /> : null}
      {data !== undefined ? (
        <ul class="counts">
          {Object.entries(data.byState)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([state, n]) => (
              <li key={state}>
                <Link href={`/${props.kind}?state=${state}`}>
                  <span class="count">{count(n)}</span> {state}
                </Link>
              </li>
            ))}
        </ul>
      ) : null}
    </section>
  );
}
