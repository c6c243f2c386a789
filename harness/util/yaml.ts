import { isAlias, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ConfigErrors, throwProblems } from './errors.js';
import { readUserFile } from './fsutil.js';
import { schemaProblems } from './schema-problems.js';
import { yamlLines } from './yaml-lines.js';

/** A validated YAML file, with a way back from any field to its line for later errors. */
export interface LoadedYaml<T> {
  file: string;
  text: string;
  value: T;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/**
 * References an alias may expand to (the yaml library's maxAliasCount): enough for any suite
 * that shares a block or two, far below the billions an alias bomb asks for.
 */
export const MAX_ALIAS_COUNT = 100;

/** The document as plain data; an alias that points nowhere or expands too far is the file's fault, with its line. */
function toJS(file: string, doc: Document, lc: LineCounter): unknown {
  const lineAt = (n: Alias | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  const aliases: Alias[] = [];
  const anchors = new Set<string>();
  let dangling: Alias | undefined;
  // Document order: an alias must follow its anchor (yaml resolves to the last one before it).
  visit(doc, {
    Node: (_, node) => {
      if (isAlias(node)) {
        aliases.push(node);
        if (!anchors.has(node.source)) dangling ??= node;
      } else if (node.anchor) anchors.add(node.anchor);
    },
  });
  if (dangling) throw new ConfigError('YAML_ALIAS', `alias *${dangling.source} has no anchor &${dangling.source} before it`, { file, line: lineAt(dangling) });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const bomb = /excessive alias count/i.test((e as Error).message);
    const why = bomb ? `aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?)` : `cannot resolve the YAML: ${(e as Error).message}`;
    throw new ConfigError('YAML_ALIAS', why, { file, line: lineAt(aliases[0]) }, { cause: e });
  }
}

/**
 * The issue to show. A union's own issue says only "Invalid input"; when the value's type fits
 * exactly one of its branches (an object where a string or an object may stand), that branch's
 * first issue says why, at its full path.
 */
export function issueToShow(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const meant = issue.errors.filter((errs) => errs.length > 0 && !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0));
  if (meant.length !== 1) return issue;
  const inner = issueToShow(meant[0]![0]!);
  return { ...inner, path: [...issue.path, ...inner.path] };
}

/**
 * Parse and validate YAML text. Every problem becomes a ConfigError naming file, line and field;
 * all of them are thrown at once (ConfigErrors when there are several), so one pass fixes a file.
 */
export function parseYaml<S extends z.ZodType>(file: string, text: string, schema: S): LoadedYaml<z.infer<S>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  throwProblems(doc.errors.map((e) => new ConfigError('YAML_SYNTAX', `YAML syntax error: ${e.message.split('\n')[0]}`, { file, line: lc.linePos(e.pos[0]).line })));
  const lines = yamlLines(doc, lc);
  const raw = toJS(file, doc, lc);
  if (raw === null || raw === undefined) throw new ConfigError('EMPTY_FILE', 'the file is empty', { file, line: 1 });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = schemaProblems({ file, issues: parsed.error.issues.map(issueToShow), data: raw, schema, lines });
    throw problems.length === 1 ? problems[0]! : new ConfigErrors(problems);
  }
  return { file, text, value: parsed.data as z.infer<S>, lineOf: lines.valueLine };
}

export async function loadYaml<S extends z.ZodType>(file: string, schema: S): Promise<LoadedYaml<z.infer<S>>> {
  return parseYaml(file, await readUserFile(file), schema);
}
