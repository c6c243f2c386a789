/**
 * One change of a mutant from its seed. Lines and tokens are those of the seed (content-lines.ts):
 * any subset of a mutant's edits applies to the seed, which is what the minimizer needs.
 */
export type Edit =
  | { kind: 'set-token'; line: number; token: number; value: string; why: string }
  | { kind: 'insert-token'; line: number; token: number; value: string; why: string }
  | { kind: 'delete-token'; line: number; token: number; why: string }
  | { kind: 'delete-line'; line: number; why: string }
  | { kind: 'insert-line'; after: number; text: string; why: string }
  | { kind: 'truncate'; at: number; why: string }
  | { kind: 'insert-bytes'; at: number; hex: string; why: string };

interface LineEdits {
  set: Map<number, string>;
  insertBefore: Map<number, string[]>;
  deleted: Set<number>;
}

function tokenize(raw: string): { text: string; start: number; end: number }[] {
  return [...raw.matchAll(/[^ \t\r]+/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

/** A seed line with its token edits: untouched tokens and the spacing between them are kept, so a diff shows only the change. */
function editLine(raw: string, e: LineEdits): string {
  const toks = tokenize(raw);
  let out = '';
  let pos = 0;
  for (const [i, tok] of toks.entries()) {
    out += raw.slice(pos, tok.start);
    for (const v of e.insertBefore.get(i) ?? []) out += `${v} `;
    // A deleted token leaves its spaces: the agent splits on runs of them.
    if (!e.deleted.has(i)) out += e.set.get(i) ?? tok.text;
    pos = tok.end;
  }
  out += raw.slice(pos);
  for (const [k, vs] of [...e.insertBefore].sort(([a], [b]) => a - b)) if (k >= toks.length) for (const v of vs) out += ` ${v}`;
  return out;
}

/**
 * The mutant text: the seed with the edits, line edits first, then byte edits in their order (on
 * the text as it stands). Edits of one token: the last set wins; a deleted line takes its tokens' edits with it.
 */
export function applyEdits(seed: string, edits: readonly Edit[]): string {
  const lines = seed.split('\n');
  const per = new Map<number, LineEdits>();
  const of = (l: number) => {
    let e = per.get(l);
    if (!e) per.set(l, (e = { set: new Map(), insertBefore: new Map(), deleted: new Set() }));
    return e;
  };
  const deletedLines = new Set<number>();
  const after = new Map<number, string[]>();
  for (const e of edits) {
    if (e.kind === 'set-token') of(e.line).set.set(e.token, e.value);
    else if (e.kind === 'insert-token') {
      const m = of(e.line).insertBefore;
      m.set(e.token, [...(m.get(e.token) ?? []), e.value]);
    } else if (e.kind === 'delete-token') of(e.line).deleted.add(e.token);
    else if (e.kind === 'delete-line') deletedLines.add(e.line);
    else if (e.kind === 'insert-line') after.set(e.after, [...(after.get(e.after) ?? []), e.text]);
  }
  const out: string[] = [...(after.get(-1) ?? [])];
  for (const [i, raw] of lines.entries()) {
    if (!deletedLines.has(i)) out.push(per.has(i) ? editLine(raw, per.get(i)!) : raw);
    out.push(...(after.get(i) ?? []));
  }
  let text = out.join('\n');
  for (const e of edits) {
    if (e.kind === 'truncate') text = text.slice(0, Math.min(e.at, text.length));
    else if (e.kind === 'insert-bytes') {
      const at = Math.min(e.at, text.length);
      text = text.slice(0, at) + contentText(Buffer.from(e.hex, 'hex')) + text.slice(at);
    }
  }
  return text;
}

/**
 * Content is handled as latin1 text, one character per byte: any byte a mutant inserts survives,
 * and a seed's UTF-8 bytes go back out as they came in.
 */
export const contentText = (b: Buffer) => b.toString('latin1');
export const contentBytes = (s: string) => Buffer.from(s, 'latin1');
