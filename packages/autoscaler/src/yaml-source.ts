/**
 * A YAML document read with positions kept, so a problem found later in the plain value (by
 * the JSON schema or by the checks after it) can name the line it is on.
 */
import { LineCounter, isMap, isNode, isPair, isScalar, parseDocument, type Document } from "yaml";
import type { ClusterConfigProblem } from "@lux/common";

export interface YamlSource {
  /** The document as plain data (undefined for an empty file). */
  value: unknown;
  /** Problems of the YAML itself (syntax, duplicate keys); the value is not usable when there are some. */
  syntaxProblems: ClusterConfigProblem[];
  /** The line of the value at `path` (or of its key, with `key`), when the file has it. */
  lineOf(path: readonly (string | number)[], key?: boolean): number | undefined;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxProblems = doc.errors.map((e) => ({
    path: "",
    line: lineCounter.linePos(e.pos[0]).line,
    message: `is not valid YAML: ${e.message.split("\n")[0] ?? e.code}`,
  }));
  const lineAt = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  return {
    value: syntaxProblems.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined,
    syntaxProblems,
    lineOf: (path, key = false) => lineAt(offsetOf(doc, path, key)),
  };
}

/** Where the node at `path` starts (its key's start with `key`); the nearest enclosing node if the path goes further than the file. */
function offsetOf(doc: Document, path: readonly (string | number)[], key: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const [i, part] of path.entries()) {
    if (!isMap(node) && !(isNode(node) && "items" in node)) return offset;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!isPair(pair)) return offset;
      const last = i === path.length - 1;
      if (last && key && isNode(pair.key)) return pair.key.range?.[0];
      next = pair.value;
      offset = isNode(pair.value) ? pair.value.range?.[0] : isNode(pair.key) ? pair.key.range?.[0] : offset;
    } else {
      next = items[Number(part)];
      if (isNode(next)) offset = next.range?.[0];
    }
    node = next;
  }
  return offset;
}
