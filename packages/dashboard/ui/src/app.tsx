/** The dashboard: a navigation bar of the views, and the view the path names. */
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { Link, useRoute } from "./router.js";
import { ActorDetail, Actors } from "./views/actors.js";
import { JobDetail, Jobs } from "./views/jobs.js";
import { Logs } from "./views/logs.js";
import { NodeDetail, Nodes } from "./views/nodes.js";
import { Overview } from "./views/overview.js";
import { PlacementGroupDetail, PlacementGroups } from "./views/placement-groups.js";
import { TaskDetail } from "./views/task-detail.js";
import { Tasks } from "./views/tasks.js";

interface View {
  label: string;
  path: string;
  list: () => JSX.Element;
  detail?: (props: { id: string }) => JSX.Element;
}

const VIEWS: View[] = [
  { label: "Overview", path: "/overview", list: Overview },
  { label: "Nodes", path: "/nodes", list: Nodes, detail: NodeDetail },
  { label: "Actors", path: "/actors", list: Actors, detail: ActorDetail },
  { label: "Tasks", path: "/tasks", list: Tasks, detail: TaskDetail },
  { label: "Jobs", path: "/jobs", list: Jobs, detail: JobDetail },
  { label: "Placement Groups", path: "/placement-groups", list: PlacementGroups, detail: PlacementGroupDetail },
  { label: "Logs", path: "/logs", list: Logs },
];

/** A path segment decoded (as it was, when it is not valid percent-encoding). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The view of `path` ("/" is the overview), and the id of the item it shows, if any. */
function match(path: string): { view: View; id: string | undefined } | undefined {
  if (path === "/" || path === "") return { view: VIEWS[0] as View, id: undefined };
  for (const view of VIEWS) {
    if (path === view.path || path === `${view.path}/`) return { view, id: undefined };
    if (view.detail !== undefined && path.startsWith(`${view.path}/`)) return { view, id: decoded(path.slice(view.path.length + 1)) };
  }
  return undefined;
}

export function App(): JSX.Element {
  const route = useRoute();
  const found = match(route.path);
  useEffect(() => {
    document.title = `${found === undefined ? "Not found" : found.view.label} · Lux`;
  }, [found?.view.label]);
  return (
    <>
      <header class="top">
        <Link href="/" class="brand">
          Lux
        </Link>
        <nav aria-label="Views">
          {VIEWS.map((v) => (
            <Link key={v.path} href={v.path} aria-current={found?.view === v ? "page" : undefined}>
              {v.label}
            </Link>
          ))}
        </nav>
        <form method="post" action="/logout" class="logout">
          <button type="submit">Log out</button>
        </form>
      </header>
      <main>{found === undefined ? <NotFound path={route.path} /> : <Page view={found.view} id={found.id} />}</main>
    </>
  );
}

function Page(props: { view: View; id: string | undefined }): JSX.Element {
  const { view, id } = props;
  if (id !== undefined && view.detail !== undefined) {
    const Detail = view.detail;
    return <Detail key={id} id={id} />;
  }
  const List = view.list;
  return <List />;
}

function NotFound(props: { path: string }): JSX.Element {
  return (
    <>
      <h1>Not found</h1>
      <p>
        The dashboard has no page <code>{props.path}</code>. <Link href="/">Go to the overview</Link>.
      </p>
    </>
  );
}
