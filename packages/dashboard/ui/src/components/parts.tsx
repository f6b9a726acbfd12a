/** Small pieces the views share: ids as links, state badges, field lists, empty states. */
import type { ComponentChildren, JSX } from "preact";
import { shortId } from "../format.js";
import { Link } from "../router.js";

/** An id shown by its first 8 characters (the whole in its title), linking to its page when `href` is given. */
export function Id(props: { id: string | null | undefined; href?: string | undefined }): JSX.Element {
  if (props.id === null || props.id === undefined || props.id === "") return <span class="muted">—</span>;
  const text = <code title={props.id}>{shortId(props.id)}</code>;
  return props.href === undefined ? text : <Link href={props.href}>{text}</Link>;
}

const STATE_TONES: Record<string, string> = {
  FAILED: "bad",
  DEAD: "bad",
  STOPPED: "bad",
  REMOVED: "muted",
  FINISHED: "good",
  SUCCEEDED: "good",
  ALIVE: "good",
  CREATED: "good",
  RUNNING: "busy",
};

export function StateBadge(props: { state: string | null | undefined }): JSX.Element {
  const state = props.state ?? "UNKNOWN";
  return <span class={`badge ${STATE_TONES[state] ?? "waiting"}`}>{state}</span>;
}

/** Label–value pairs (a value of null or undefined shows as a dash). */
export function Fields(props: { rows: [string, ComponentChildren][] }): JSX.Element {
  return (
    <dl class="fields">
      {props.rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value === null || value === undefined || value === "" ? <span class="muted">—</span> : value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** What a view shows when its route is not on this server (yet), or has nothing. */
export function Empty(props: { children: ComponentChildren }): JSX.Element {
  return <p class="empty">{props.children}</p>;
}

export function Problem(props: { message: string }): JSX.Element {
  return (
    <p role="alert" class="error">
      {props.message}
    </p>
  );
}
