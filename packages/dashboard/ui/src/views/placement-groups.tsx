/** Placement groups: strategy, state, and each bundle with the node that holds it. */
import type { PlacementGroupStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { getJson } from "../api.js";
import { Fields, Id, Problem, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { resources } from "../format.js";
import { useLoad } from "../use-load.js";

const COLUMNS: Column<PlacementGroupStateItem>[] = [
  { label: "Placement group", cell: (g) => <Id id={g.placementGroupId} href={`/placement-groups/${g.placementGroupId}`} /> },
  { label: "Name", cell: (g) => g.name ?? "" },
  { label: "Strategy", cell: (g) => g.strategy },
  { label: "State", cell: (g) => <StateBadge state={g.state} /> },
  { label: "Bundles", cell: (g) => g.bundles.map((b) => `{${resources(b)}}`).join(" ") },
  {
    label: "Nodes",
    cell: (g) => (
      <span class="ids">
        {g.bundleNodeIds.map((n, i) => (
          <Id key={i} id={n} href={n === null ? undefined : `/nodes/${n}`} />
        ))}
      </span>
    ),
  },
];

export function PlacementGroups(): JSX.Element {
  return (
    <>
      <h1>Placement Groups</h1>
      <StateTable<PlacementGroupStateItem>
        kind="placement-groups"
        noun="placement group"
        columns={COLUMNS}
        rowKey={(g) => g.placementGroupId}
        controls={[
          { field: "state", label: "State", options: ["PENDING", "CREATED", "RESCHEDULING", "REMOVED"] },
          { field: "strategy", label: "Strategy", options: ["PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"] },
        ]}
      />
    </>
  );
}

export function PlacementGroupDetail(props: { id: string }): JSX.Element {
  const url = `/api/state/placement-groups/${encodeURIComponent(props.id)}`;
  const { data: g, error } = useLoad(url, (signal) => getJson<PlacementGroupStateItem>(url, signal), 5000);
  return (
    <>
      <h1>
        Placement group <code>{props.id}</code>
      </h1>
      {error !== undefined ? <Problem message={error.status === 404 ? "The cluster has no such placement group." : error.message} /> : null}
      {g !== undefined ? (
        <>
          <Fields
            rows={[
              ["Name", g.name],
              ["Namespace", g.namespace],
              ["Strategy", g.strategy],
              ["State", <StateBadge state={g.state} />],
            ]}
          />
          <h2>Bundles</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Bundle</th>
                <th scope="col">Resources</th>
                <th scope="col">Node</th>
              </tr>
            </thead>
            <tbody>
              {g.bundles.map((b, i) => (
                <tr key={i}>
                  <td>{i}</td>
                  <td>{resources(b)}</td>
                  <td>
                    <Id id={g.bundleNodeIds[i]} href={g.bundleNodeIds[i] == null ? undefined : `/nodes/${g.bundleNodeIds[i]}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
