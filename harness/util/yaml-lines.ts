import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export type YamlPath = readonly (string | number)[];

/** Where things are in a parsed YAML document, by their path in the plain data. */
export interface YamlLines {
  /** The line of the value at `path`; a missing one is reported at its nearest parent that exists. */
  valueLine(path: YamlPath): number | undefined;
  /**
   * The line of the key that ends `path` (in a sequence, the item's line): an unknown key is
   * reported where it is written, not where its parent's value starts. Falls back to valueLine.
   */
  keyLine(path: YamlPath): number | undefined;
}

export function yamlLines(doc: Document, lc: LineCounter): YamlLines {
  const lineOf = (node: unknown) => (isNode(node) && node.range ? lc.linePos(node.range[0]).line : undefined);
  const nodeAt = (path: YamlPath) => (path.length === 0 ? doc.contents : doc.getIn(path, true));
  const valueLine = (path: YamlPath) => {
    // Walk up to the nearest node that exists: a missing field is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const line = lineOf(nodeAt(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
  const keyLine = (path: YamlPath) => {
    if (path.length === 0) return valueLine(path);
    const parent = nodeAt(path.slice(0, -1));
    const last = path[path.length - 1]!;
    let line: number | undefined;
    if (isMap(parent)) {
      // The plain data's keys are strings; the YAML's may be numbers or booleans (`1: x`).
      const pair = parent.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(last));
      line = lineOf(pair?.key);
    } else if (isSeq(parent) && typeof last === 'number') {
      line = lineOf(parent.items[last]);
    }
    return line ?? valueLine(path);
  };
  return { valueLine, keyLine };
}
