import type { ContentTemplate, TemplateField, TemplateRecord } from './template-schema.js';

export interface Token {
  text: string;
  /** Offsets in the line's text. */
  start: number;
  end: number;
}

/** One line of a content file, cut into tokens, with the template record its keyword names. */
export interface ContentLine {
  index: number;
  text: string;
  tokens: Token[];
  record?: TemplateRecord;
}

/** A field of a record line: where its token is, and its value. */
export interface FieldHit {
  line: ContentLine;
  field: TemplateField;
  token: number;
  value: string;
}

/** Lines of a content file, split on \n only, so that joining them with \n gives the text back. */
export function contentLines(text: string, t: ContentTemplate): ContentLine[] {
  return text.split('\n').map((raw, index) => {
    const tokens: Token[] = [];
    for (const m of raw.matchAll(/[^ \t\r]+/g)) tokens.push({ text: m[0], start: m.index, end: m.index + m[0].length });
    const first = tokens[0]?.text;
    const comment = t.comment !== undefined && first?.startsWith(t.comment);
    const record = comment ? undefined : t.records.find((r) => r.keyword === first);
    return { index, text: raw, tokens, ...(record ? { record } : {}) };
  });
}

/** Where a field of the template sits on a line: a positional token, or the first key=value token. */
export function findField(line: ContentLine, f: TemplateField): FieldHit | undefined {
  if (f.at !== undefined) {
    const tok = line.tokens[f.at];
    // A positional token that is someone's key=value is not this field.
    return tok ? { line, field: f, token: f.at, value: tok.text } : undefined;
  }
  const i = line.tokens.findIndex((tok, n) => n > 0 && tok.text.startsWith(`${f.key}=`));
  return i < 0 ? undefined : { line, field: f, token: i, value: line.tokens[i]!.text.slice(f.key!.length + 1) };
}

/** Every field present on every record line. */
export function fieldHits(lines: readonly ContentLine[]): FieldHit[] {
  const hits: FieldHit[] = [];
  for (const l of lines) {
    if (!l.record) continue;
    for (const f of l.record.fields) {
      const h = findField(l, f);
      if (h) hits.push(h);
    }
  }
  return hits;
}

/** The value a `record.field` bound stands for in this content (the first such record), or a number bound as it is. */
export function resolveBound(b: number | string | undefined, lines: readonly ContentLine[]): number | undefined {
  if (b === undefined || typeof b === 'number') return b;
  const [rec, name] = b.split('.');
  for (const l of lines) {
    if (!l.record || l.record.keyword !== rec) continue;
    const f = l.record.fields.find((x) => x.name === name);
    const h = f && findField(l, f);
    const n = h ? Number(h.value) : NaN;
    if (Number.isInteger(n)) return n;
  }
  return undefined;
}

/** The token text that writes `value` for this field: key=value for a keyed field. */
export const tokenFor = (f: TemplateField, value: string) => (f.key !== undefined ? `${f.key}=${value}` : value);
