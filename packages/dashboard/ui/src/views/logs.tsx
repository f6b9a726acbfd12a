/**
 * Logs: each node's log files (`GET /api/logs`), and the one chosen followed live
 * (`GET /api/logs/tail?nodeId=&file=&tail=N`). The choice lives in the URL
 * (`/logs?nodeId=…&file=…`), so a node's page links to its files.
 */
import type { JSX } from "preact";
import { getJson } from "../api.js";
import { LogTail } from "../components/log-tail.js";
import { Empty, Id, Problem } from "../components/parts.js";
import { bytes, time } from "../format.js";
import { Link, useRoute, withQuery } from "../router.js";
import { useLoad } from "../use-load.js";

interface NodeLogs {
  nodeId: string;
  files: { name: string; size: number; modifiedAt: number | string }[];
}

/** Lines of the file shown at first. */
const TAIL_LINES = 1000;

export function Logs(): JSX.Element {
  const route = useRoute();
  const nodeId = route.query.get("nodeId") ?? "";
  const file = route.query.get("file") ?? "";
  const url = nodeId === "" ? "/api/logs" : `/api/logs?nodeId=${encodeURIComponent(nodeId)}`;
  const { data, error } = useLoad(url, (signal) => getJson<NodeLogs[]>(url, signal), 10_000);
  return (
    <>
      <h1>Logs</h1>
      {nodeId !== "" ? (
        <p class="chips">
          <span class="chip">
            node = <Id id={nodeId} />
            <Link href="/logs" aria-label="Every node">
              ×
            </Link>
          </span>
        </p>
      ) : null}
      {error?.status === 404 ? <Empty>This server does not serve log files.</Empty> : <Files data={data} error={error?.message} nodeId={nodeId} file={file} query={route.query} />}
    </>
  );
}

function Files(props: { data: NodeLogs[] | undefined; error: string | undefined; nodeId: string; file: string; query: URLSearchParams }): JSX.Element {
  const { data, nodeId, file } = props;
  return (
    <>
      {props.error !== undefined ? <Problem message={props.error} /> : null}
      <div class="logs">
        <nav class="log-files" aria-label="Log files">
          {(data ?? []).map((n) => (
            <section key={n.nodeId}>
              <h2>
                Node <Id id={n.nodeId} href={`/nodes/${n.nodeId}`} />
              </h2>
              {n.files.length === 0 ? <p class="muted">No log files.</p> : null}
              <ul>
                {n.files.map((f) => (
                  <li key={f.name} class={n.nodeId === nodeId && f.name === file ? "current" : undefined}>
                    <Link href={withQuery("/logs", props.query, { nodeId: n.nodeId, file: f.name })} title={`modified ${time(typeof f.modifiedAt === "number" ? f.modifiedAt : Date.parse(f.modifiedAt))}`}>
                      {f.name}
                    </Link>{" "}
                    <span class="muted">{bytes(f.size)}</span>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </nav>
        <div class="log-view">
          {file === "" || nodeId === "" ? (
            <Empty>Choose a file to follow it.</Empty>
          ) : (
            <>
              <h2>
                <code>{file}</code> on <Id id={nodeId} />
              </h2>
              <LogTail
                url={`/api/logs/tail?nodeId=${encodeURIComponent(nodeId)}&file=${encodeURIComponent(file)}&tail=${TAIL_LINES}`}
                label={`Log ${file}`}
                missing="No such file on this node (or this server does not serve log files)."
              />
            </>
          )}
        </div>
      </div>
    </>
  );
}
