import { fieldHits, resolveBound, tokenFor, type ContentLine, type FieldHit } from './content-lines.js';
import type { Edit } from './edits.js';
import type { Prng } from './prng.js';
import type { TemplateField } from './template-schema.js';

/** What a mutator sees: the seed's lines (with their template records) and the seed's length. */
export interface MutationInput {
  lines: readonly ContentLine[];
  seedLength: number;
  rng: Prng;
}

/** One kind of change; undefined when the seed has nothing it applies to. */
export interface Mutator {
  name: string;
  /** Guided by the template (weighted higher) or blind. */
  guided: boolean;
  mutate(m: MutationInput): Edit | undefined;
}

const isInt = (f: TemplateField) => f.type === 'int' || f.type === 'uint';
const hitsWhere = (m: MutationInput, p: (h: FieldHit) => boolean) => fieldHits(m.lines).filter(p);
const setField = (h: FieldHit, value: string, why: string): Edit => ({ kind: 'set-token', line: h.line.index, token: h.token, value: tokenFor(h.field, value), why });
const recordLines = (m: MutationInput) => m.lines.filter((l) => l.record);
const randomToken = (rng: Prng) => rng.pick(['x', '/tmp/', 'A', '0', '-1', '*', '%s%n', '..', '\\', '{}', '"']);

/** Fields whose value another field is bounded by (a template's declared field count). */
function declaredCounts(m: MutationInput): FieldHit[] {
  const refs = new Set<string>();
  for (const l of m.lines) for (const f of l.record?.fields ?? []) for (const b of [f.min, f.max]) if (typeof b === 'string') refs.add(b);
  return hitsWhere(m, (h) => refs.has(`${h.line.record!.keyword}.${h.field.name}`));
}

export const MUTATORS: readonly Mutator[] = [
  {
    // An index at its limit, resolved in this content: max, max+1, max-1, min, min-1.
    name: 'index-at-limit',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => isInt(h.field) && (h.field.max !== undefined || h.field.min !== undefined));
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const max = resolveBound(h.field.max, m.lines);
      const min = resolveBound(h.field.min, m.lines);
      const values = [...(max !== undefined ? [max, max + 1, max - 1] : []), ...(min !== undefined ? [min, min - 1] : [])];
      const v = m.rng.pick(values);
      return setField(h, String(v), `${h.field.name} ${h.value} -> ${v} (limit ${min ?? ''}..${max ?? ''})`);
    },
  },
  {
    // A declared count off by one either way: the template says one field more, or one less, than the interpreter has.
    name: 'count-off-by-one',
    guided: true,
    mutate(m) {
      const hits = declaredCounts(m).filter((h) => /^-?\d+$/.test(h.value));
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const v = Number(h.value) + (m.rng.next() < 0.5 ? 1 : -1);
      return setField(h, String(v), `${h.line.record!.keyword} ${h.field.name} ${h.value} -> ${v}`);
    },
  },
  {
    name: 'int-extreme',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => isInt(h.field));
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const v = m.rng.pick(['0', '-1', '2147483647', '2147483648', '4294967295', '4294967296', '18446744073709551616', '0x10', '1e3', '']);
      return setField(h, v, `${h.field.name} ${h.value} -> ${v || '(empty)'}`);
    },
  },
  {
    // A string at its length limit and past it.
    name: 'length-limit',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => h.field.type === 'string' || h.field.type === 'regex');
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const limit = h.field.maxLength;
      const n = m.rng.pick(limit !== undefined ? [limit, limit + 1, limit * 2 + 1] : [255, 256, 4097]);
      return setField(h, 'A'.repeat(n), `${h.field.name} length ${h.value.length} -> ${n}${limit !== undefined ? ` (limit ${limit})` : ''}`);
    },
  },
  {
    name: 'wrong-type',
    guided: true,
    mutate(m) {
      const hits = fieldHits(m.lines);
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const v = isInt(h.field) ? m.rng.pick(['abc', '1.5', '--1', '0x']) : h.field.type === 'enum' ? m.rng.pick(['0', 'ANY', `${h.value}${h.value}`]) : m.rng.pick(['0', '-1', '']);
      return setField(h, v, `${h.field.name} (${h.field.type}) ${h.value} -> ${v || '(empty)'}`);
    },
  },
  {
    // Another value of an enum: an operator that does not fit its field, for one.
    name: 'enum-swap',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => h.field.type === 'enum' && (h.field.values?.length ?? 0) > 1);
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const v = m.rng.pick(h.field.values!.filter((x) => x !== h.value));
      return setField(h, v, `${h.field.name} ${h.value} -> ${v}`);
    },
  },
  {
    // A wildcard made concrete (the field is then looked at), or a concrete value made a wildcard.
    name: 'wildcard',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => h.field.wildcard !== undefined);
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      if (h.value !== h.field.wildcard) return setField(h, h.field.wildcard!, `${h.field.name} ${h.value} -> wildcard ${h.field.wildcard}`);
      const concrete = h.field.values?.filter((v) => v !== h.field.wildcard);
      const v = concrete?.length ? m.rng.pick(concrete) : randomToken(m.rng);
      return setField(h, v, `${h.field.name} wildcard ${h.value} -> ${v}`);
    },
  },
  {
    // A field the record leaves out, written in: with a wildcard made concrete, its value is then needed.
    name: 'add-field',
    guided: true,
    mutate(m) {
      const open = recordLines(m).flatMap((l) => l.record!.fields.filter((f) => f.key !== undefined && !l.tokens.some((t) => t.text.startsWith(`${f.key}=`))).map((f) => ({ l, f })));
      if (open.length === 0) return undefined;
      const { l, f } = m.rng.pick(open);
      const v = f.values ? m.rng.pick(f.values) : isInt(f) ? String(m.rng.int(64)) : randomToken(m.rng);
      return { kind: 'insert-token', line: l.index, token: l.tokens.length, value: tokenFor(f, v), why: `add ${f.name}=${v} to ${l.record!.keyword}` };
    },
  },
  {
    // A regex field given a pattern that is hard or impossible to compile.
    name: 'regex',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => h.field.type === 'regex');
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const v = m.rng.pick(['(', '[', '(a+)+$', '.*.*.*.*.*.*.*.*', '\\', '*', '(?<', 'a{99999}']);
      return setField(h, v, `${h.field.name} pattern -> ${v}`);
    },
  },
  {
    name: 'missing-field',
    guided: true,
    mutate(m) {
      const hits = fieldHits(m.lines);
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      return { kind: 'delete-token', line: h.line.index, token: h.token, why: `drop ${h.field.name} from ${h.line.record!.keyword}` };
    },
  },
  {
    // The same key twice on a line, the second with a value at a limit or from another record.
    name: 'duplicate-key',
    guided: true,
    mutate(m) {
      const hits = hitsWhere(m, (h) => h.field.key !== undefined);
      if (hits.length === 0) return undefined;
      const h = m.rng.pick(hits);
      const other = m.rng.pick(hitsWhere(m, (x) => x.field === h.field)).value;
      const max = resolveBound(h.field.max, m.lines);
      const v = max !== undefined && m.rng.next() < 0.5 ? String(max) : other;
      return { kind: 'insert-token', line: h.line.index, token: h.token + 1, value: tokenFor(h.field, v), why: `${h.field.name} twice: ${h.value} then ${v}` };
    },
  },
  {
    name: 'missing-record',
    guided: true,
    mutate(m) {
      const ls = recordLines(m);
      if (ls.length === 0) return undefined;
      const l = m.rng.pick(ls);
      return { kind: 'delete-line', line: l.index, why: `drop a ${l.record!.keyword} line` };
    },
  },
  {
    // A record again: once, or as many times as takes its count past the template's maximum.
    name: 'extra-record',
    guided: true,
    mutate(m) {
      const ls = recordLines(m);
      if (ls.length === 0) return undefined;
      const l = m.rng.pick(ls);
      const have = ls.filter((x) => x.record === l.record).length;
      const max = l.record!.count.max;
      const copies = max !== undefined && m.rng.next() < 0.5 ? Math.max(1, max + 1 - have) : 1;
      return { kind: 'insert-line', after: l.index, text: Array(copies).fill(l.text).join('\n'), why: `${copies} more ${l.record!.keyword} line${copies === 1 ? '' : 's'} (count max ${max ?? 'none'})` };
    },
  },
  {
    name: 'unknown-token',
    guided: false,
    mutate(m) {
      const ls = recordLines(m);
      if (ls.length === 0) return undefined;
      const l = m.rng.pick(ls);
      const v = `${randomToken(m.rng)}=${randomToken(m.rng)}`;
      return { kind: 'insert-token', line: l.index, token: 1 + m.rng.int(l.tokens.length), value: v, why: `unknown token ${v} on a ${l.record!.keyword} line` };
    },
  },
  {
    name: 'truncate',
    guided: false,
    mutate(m) {
      if (m.seedLength === 0) return undefined;
      const at = m.rng.int(m.seedLength);
      return { kind: 'truncate', at, why: `truncated at byte ${at} of ${m.seedLength}` };
    },
  },
  {
    name: 'random-bytes',
    guided: false,
    mutate(m) {
      const n = 1 + m.rng.int(8);
      const hex = Array.from({ length: n }, () => m.rng.int(256).toString(16).padStart(2, '0')).join('');
      const at = m.rng.int(m.seedLength + 1);
      return { kind: 'insert-bytes', at, hex, why: `${n} random byte${n === 1 ? '' : 's'} at ${at}` };
    },
  },
];

/** Template-guided mutators are drawn three times as often as blind ones. */
export const MUTATOR_WEIGHTS = MUTATORS.map((mu) => ({ item: mu, weight: mu.guided ? 3 : 1 }));
