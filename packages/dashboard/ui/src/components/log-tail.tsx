/**
 * A streamed log, followed live: lines are appended as the server sends them (the last
 * MAX_LINES kept), and the view stays at the bottom while "Follow" is on.
 */
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { RequestError, streamLines } from "../api.js";

const MAX_LINES = 10_000;

type Status = { kind: "following" } | { kind: "ended" } | { kind: "missing" } | { kind: "failed"; message: string };

export function LogTail(props: { url: string; label: string; missing: string }): JSX.Element {
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState<Status>({ kind: "following" });
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const controller = new AbortController();
    setLines([]);
    setStatus({ kind: "following" });
    streamLines(props.url, (more) => setLines((old) => [...old, ...more].slice(-MAX_LINES)), controller.signal).then(
      () => setStatus({ kind: "ended" }),
      (e: unknown) => {
        if (controller.signal.aborted) return;
        if (e instanceof RequestError && e.status === 404) setStatus({ kind: "missing" });
        else setStatus({ kind: "failed", message: (e as Error).message });
      },
    );
    return () => controller.abort();
  }, [props.url]);
  useLayoutEffect(() => {
    if (follow && pre.current !== null) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, follow]);
  if (status.kind === "missing") return <p class="empty">{props.missing}</p>;
  return (
    <section class="log-tail" aria-label={props.label}>
      <p class="log-bar">
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
        </label>
        <span class="muted" data-lines={lines.length}>
          {lines.length} line{lines.length === 1 ? "" : "s"} · {status.kind === "following" ? "live" : status.kind === "ended" ? "stream ended" : status.message}
        </span>
      </p>
      <pre ref={pre} class="log">
        {lines.join("\n")}
      </pre>
    </section>
  );
}
