/**
 * Client-side routes: the path picks the view, the query holds its filters (so a filtered
 * list is a link). The server answers every view's path with the same page.
 */
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();

window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

/** Goes to `href` without reloading the page. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace === true) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  for (const l of listeners) l();
}

export interface Route {
  path: string;
  query: URLSearchParams;
}

/** The current route; the component renders again when it changes. */
export function useRoute(): Route {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const changed = (): void => setVersion((v) => v + 1);
    listeners.add(changed);
    return () => void listeners.delete(changed);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** The path with `changes` applied to its query (undefined or "" removes a key). */
export function withQuery(path: string, query: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") next.delete(key);
    else next.set(key, value);
  }
  const search = next.toString();
  return search === "" ? path : `${path}?${search}`;
}

export interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string | undefined;
  title?: string | undefined;
  "aria-current"?: "page" | undefined;
  "aria-label"?: string | undefined;
}

/** A link that changes the route in place (a modified or middle click opens it as usual). */
export function Link(props: LinkProps): JSX.Element {
  const { href, children, ...rest } = props;
  const onClick = (e: MouseEvent): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}
