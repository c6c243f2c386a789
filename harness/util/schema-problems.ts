import type { z } from 'zod';
import { closestWords, didYouMean, didYouMeanText } from './did-you-mean.js';
import { ConfigError } from './errors.js';
import { knownKeysAt } from './schema-keys.js';
import type { YamlLines, YamlPath } from './yaml-lines.js';

type Issue = z.core.$ZodIssue;

/** `agent.builds[0].version`: the path as a person reads it. */
export function fieldName(path: YamlPath): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

const cleanPath = (path: readonly PropertyKey[]): (string | number)[] => path.filter((p): p is string | number => typeof p !== 'symbol');
const samePath = (a: YamlPath, b: YamlPath) => a.length === b.length && a.every((p, i) => String(p) === String(b[i]));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(data: unknown, path: YamlPath): unknown {
  let v = data;
  for (const p of path) {
    if (Array.isArray(v) && typeof p === 'number') v = v[p];
    else if (isRecord(v) && Object.hasOwn(v, String(p))) v = v[String(p)];
    else return undefined;
  }
  return v;
}

/** A key the file leaves out of an object that has it as a field (not a value of the wrong type). */
function isMissing(data: unknown, path: YamlPath): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(data, path.slice(0, -1));
  return isRecord(parent) && !Object.hasOwn(parent, String(path[path.length - 1]));
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** What a union's members would take at its own level: the enum values and the object keys. */
function unionHints(issue: z.core.$ZodIssueInvalidUnion, value: unknown, knownKeys: string[]): string {
  if (typeof value === 'string') {
    const values = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' && i.path.length === 0 ? i.values : []));
    return didYouMean(value, values.filter((v): v is string => typeof v === 'string'));
  }
  if (isRecord(value)) {
    return Object.keys(value)
      .filter((k) => !knownKeys.includes(k))
      .flatMap((k) => {
        const near = closestWords(k, knownKeys);
        return near.length ? [`\`${k}\`: ${didYouMeanText(near)}`] : [];
      })
      .join('; ');
  }
  return '';
}

/** zod's message, said more exactly where zod says only "Invalid input" or a close value was meant. */
function messageOf(issue: Issue, value: unknown, knownKeys: string[]): string {
  if (issue.code === 'invalid_value' && typeof value === 'string') {
    const hint = didYouMean(value, issue.values.filter((v): v is string => typeof v === 'string'));
    return hint ? `${issue.message}; ${hint}` : issue.message;
  }
  if (issue.code === 'invalid_union') {
    let message = issue.message;
    // Every member refused the value's type: list what each would take.
    const wants = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.path.length === 0 && branch[0]!.code === 'invalid_type' ? branch[0]!.expected : undefined));
    if (message === 'Invalid input' && wants.every((w) => w !== undefined)) message = `Invalid input: expected ${[...new Set(wants)].join(' or ')}, received ${typeName(value)}`;
    const hint = unionHints(issue, value, knownKeys);
    return hint ? `${message}; ${hint}` : message;
  }
  return issue.message;
}

/**
 * Every schema issue of a YAML file as a ConfigError at its own line, in file order: a type
 * error at the line of its value; an unknown key at the line of that key, with the known key it
 * is a slip of ("did you mean `images`?"); a missing required key at its parent's key, unless an
 * unknown key there is a slip of it (`imagse:`), which then says so instead.
 */
export function schemaProblems(o: { file: string; issues: readonly Issue[]; data: unknown; schema: z.core.$ZodType; lines: YamlLines }): ConfigError[] {
  const found: ConfigError[] = [];
  const add = (code: string, message: string, line: number | undefined, path: YamlPath) => found.push(new ConfigError(code, message, { file: o.file, line, field: fieldName(path) || '(top level)' }));
  const unknown = o.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [];
    const at = cleanPath(issue.path);
    const known = knownKeysAt(o.schema, at);
    return issue.keys.map((key) => ({ at, key, known, near: closestWords(key, known), missing: [] as string[] }));
  });
  const seen = new Set<string>();
  for (const issue of o.issues) {
    if (issue.code === 'unrecognized_keys') continue;
    const path = cleanPath(issue.path);
    // One problem a field: a value that fails its pattern need not also hear that it is no calendar date.
    const key = JSON.stringify(path);
    if (seen.has(key)) continue;
    seen.add(key);
    // Absent and of no type at all; a refinement's own message about an absent field (custom) stays as it is.
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && isMissing(o.data, path)) {
      const name = String(path[path.length - 1]);
      const slip = unknown.find((u) => samePath(u.at, path.slice(0, -1)) && u.near.includes(name));
      if (slip) slip.missing.push(name);
      else add('MISSING_KEY', 'required key missing', o.lines.keyLine(path.slice(0, -1)), path);
      continue;
    }
    add('SCHEMA', messageOf(issue, valueAt(o.data, path), issue.code === 'invalid_union' ? knownKeysAt(o.schema, path) : []), o.lines.valueLine(path), path);
  }
  for (const u of unknown) {
    const hint = didYouMeanText(u.near);
    const required = u.missing.map((k) => ` (\`${k}\` is required and missing)`).join('');
    const message = hint ? `unknown key: ${hint}${required}` : u.known.length ? `unknown key (known here: ${u.known.join(', ')})` : 'unknown key';
    add('UNKNOWN_KEY', message, o.lines.keyLine([...u.at, u.key]), [...u.at, u.key]);
  }
  // File order: a person fixes top to bottom (sort is stable: same line keeps zod's order).
  return found.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
