/** Nodes: each with its id, IP, state, resources in use and its object store. */
import type { NodeStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { getJson } from "../api.js";
import { Fields, Id, Problem, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { amount, bytes, hostOf, resources, time } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

/** "used / total" of one resource of a node ("—" when it has none). */
function used(n: NodeStateItem, name: string, format: (x: number) => string): string {
  const total = n.resources[name];
  if (total === undefined || total === 0) return "—";
  const free = n.availableResources[name] ?? total;
  return `${format(Math.max(0, total - free))} / ${format(total)}`;
}

function store(n: NodeStateItem): string {
  if (n.storeCapacity === undefined) return "—";
  return `${n.storeUsedBytes === null || n.storeUsedBytes === undefined ? "?" : bytes(n.storeUsedBytes)} / ${bytes(n.storeCapacity)}`;
}

const COLUMNS: Column<NodeStateItem>[] = [
  { label: "Node", cell: (n) => <Id id={n.nodeId} href={`/nodes/${n.nodeId}`} /> },
  { label: "IP", cell: (n) => hostOf(n.address) },
  { label: "State", cell: (n) => <StateBadge state={n.state} /> },
  { label: "CPU", cell: (n) => used(n, "CPU", amount) },
  { label: "GPU", cell: (n) => used(n, "GPU", amount) },
  { label: "Memory", cell: (n) => used(n, "memory", bytes) },
  { label: "Object store", cell: store },
  { label: "Started", cell: (n) => time(n.startedAtMs) },
  { label: "Logs", cell: (n) => <Link href={`/logs?nodeId=${n.nodeId}`}>logs</Link> },
];

export function Nodes(): JSX.Element {
  return (
    <>
      <h1>Nodes</h1>
      <StateTable<NodeStateItem> kind="nodes" noun="node" detail columns={COLUMNS} rowKey={(n) => n.nodeId} controls={[{ field: "state", label: "State", options: ["ALIVE", "DEAD"] }]} />
    </>
  );
}

export function NodeDetail(props: { id: string }): JSX.Element {
  const url = `/api/state/nodes/${encodeURIComponent(props.id)}`;
  const { data: n, error } = useLoad(url, (signal) => getJson<NodeStateItem>(url, signal), 5000);
  return (
    <>
      <h1>
        Node <code>{props.id}</code>
      </h1>
      {error !== undefined ? <Problem message={error.status === 404 ? "The cluster has no such node." : error.message} /> : null}
      {n !== undefined ? (
        <>
          <Fields
            rows={[
              ["State", <StateBadge state={n.state} />],
              ["Address", n.address],
              ["Started", time(n.startedAtMs)],
              ["Resources", resources(n.resources)],
              ["Free", resources(n.availableResources)],
              ["Object store", `${store(n)} (${n.storeKind})`],
              ["Labels", Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(", ")],
            ]}
          />
          <p class="links">
            <Link href={`/tasks?nodeId=${n.nodeId}`}>Tasks that ran here</Link> · <Link href={`/actors?nodeId=${n.nodeId}`}>Actors here</Link> ·{" "}
            <Link href={`/logs?nodeId=${n.nodeId}`}>Log files</Link>
          </p>
        </>
      ) : null}
    </>
  );
}
