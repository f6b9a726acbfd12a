/** Actors: class, name, state and where each runs; an actor's page has its detail. */
import type { ActorStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { getJson } from "../api.js";
import { Fields, Id, Problem, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { resources } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

const ACTOR_STATES = ["PENDING", "ALIVE", "RESTARTING", "DEAD"] as const;

const COLUMNS: Column<ActorStateItem>[] = [
  { label: "Actor", cell: (a) => <Id id={a.actorId} href={`/actors/${a.actorId}`} /> },
  { label: "Class", cell: (a) => a.className },
  { label: "Name", cell: (a) => a.name ?? "" },
  { label: "State", cell: (a) => <StateBadge state={a.state} /> },
  { label: "Node", cell: (a) => <Id id={a.nodeId} href={a.nodeId === null ? undefined : `/nodes/${a.nodeId}`} /> },
  { label: "Job", cell: (a) => <Id id={a.jobId} /> },
  { label: "Detached", cell: (a) => (a.detached ? "yes" : "no") },
];

export function Actors(): JSX.Element {
  return (
    <>
      <h1>Actors</h1>
      <StateTable<ActorStateItem>
        kind="actors"
        noun="actor"
        columns={COLUMNS}
        rowKey={(a) => a.actorId}
        controls={[
          { field: "state", label: "State", options: ACTOR_STATES },
          { field: "className", label: "Class" },
        ]}
      />
    </>
  );
}

export function ActorDetail(props: { id: string }): JSX.Element {
  const url = `/api/state/actors/${encodeURIComponent(props.id)}`;
  const { data: a, error } = useLoad(url, (signal) => getJson<ActorStateItem>(url, signal), 5000);
  return (
    <>
      <h1>
        Actor <code>{props.id}</code>
      </h1>
      {error !== undefined ? <Problem message={error.status === 404 ? "The cluster has no such actor." : error.message} /> : null}
      {a !== undefined ? (
        <>
          <Fields
            rows={[
              ["Class", a.className],
              ["Name", a.name],
              ["Namespace", a.namespace],
              ["State", <StateBadge state={a.state} />],
              ["Death cause", a.deathCause],
              ["Node", a.nodeId === null ? null : <Id id={a.nodeId} href={`/nodes/${a.nodeId}`} />],
              ["Worker", a.workerId],
              ["Address", a.address],
              ["Job", a.jobId],
              ["Resources", a.resources === undefined ? null : resources(a.resources)],
              ["Max restarts", a.maxRestarts],
              ["Placement group", a.placementGroupId === null || a.placementGroupId === undefined ? null : <Id id={a.placementGroupId} href={`/placement-groups/${a.placementGroupId}`} />],
              ["Detached", a.detached ? "yes" : "no"],
            ]}
          />
          <p class="links">
            <Link href={`/tasks?actorId=${a.actorId}`}>Its method calls</Link>
          </p>
        </>
      ) : null}
    </>
  );
}
