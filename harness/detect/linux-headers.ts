/**
 * The first line of a Linux kernel crash report ("header"), recognised from the message text
 * alone, by the table of the kernel's report formats (linux-oops-formats.ts). Called on console
 * lines that may hold one (linux-header-starts.ts); rows are looked up by the line's first
 * character and compared as literal prefixes, so regular expressions run only on lines that
 * already matched one.
 */
import { MID_LINE_HEADERS, startsLikeHeader } from './linux-header-starts.js';
import type { HeaderHit } from './linux-header-hit.js';
import { OOPS_FORMATS, type OopsFormat } from './linux-oops-formats.js';

export type { FnMode, HeaderHit } from './linux-header-hit.js';

const BY_FIRST = new Map<number, OopsFormat[]>();
for (const f of OOPS_FORMATS) {
  const c = f.prefix.charCodeAt(0);
  BY_FIRST.set(c, [...(BY_FIRST.get(c) ?? []), f]);
}

/** The crash header on this console message, or null (the common case, made cheap). */
export function matchHeader(body: string): HeaderHit | null {
  if (startsLikeHeader(body, 0, body.length)) {
    const h = matchAt(body);
    if (h) return h;
    const c = body.charCodeAt(0);
    if (c === 32 || c === 9) {
      const t = body.trimStart();
      if (t !== '' && t.charCodeAt(0) !== 91) {
        const inner = matchAt(t);
        if (inner) return inner;
      }
    }
  }
  for (const m of MID_LINE_HEADERS) {
    const k = body.indexOf(m, 1);
    if (k > 0) {
      const inner = matchAt(body.slice(k));
      if (inner && !inner.generic) return inner;
    }
  }
  return null;
}

function matchAt(body: string): HeaderHit | null {
  const rows = BY_FIRST.get(body.charCodeAt(0));
  if (rows === undefined) return null;
  for (const f of rows) {
    if (body.startsWith(f.prefix)) {
      const h = f.match(body.slice(f.prefix.length), body, matchAt);
      if (h) return h;
    }
  }
  return null;
}
