/**
 * Where `<Event>` elements start and end in an export: Windows writes them back to back without a
 * root element (`wevtutil qe /f:xml`, `ToXml()`), so each is cut out before an XML parser reads it,
 * one at a time. A `</Event>` inside a CDATA section or a comment ends nothing.
 */

const OPEN = '<Event';
const CLOSE = '</Event>';

/** `<Event` followed by white space or `>` (not `<EventData>`, `<EventID>`): its index, -1 when none. */
export function eventStart(s: string, from = 0): number {
  for (let i = s.indexOf(OPEN, from); i >= 0; i = s.indexOf(OPEN, i + 1)) {
    const c = s.charCodeAt(i + OPEN.length);
    if (c === 62 /* > */ || c === 32 || c === 9 || c === 10 || c === 13) return i;
  }
  return -1;
}

/** Sections whose text is not markup: what opens them and what closes them. */
const OPAQUE: readonly (readonly [string, string])[] = [
  ['<![CDATA[', ']]>'],
  ['<!--', '-->'],
];

/**
 * The index just past the `</Event>` that closes the element opening at `start`, or -1 when the
 * text does not hold it (yet). CDATA sections and comments are stepped over whole.
 */
export function eventEnd(s: string, start = 0): number {
  let i = start + OPEN.length;
  for (;;) {
    const close = s.indexOf(CLOSE, i);
    let next = -1;
    let closer = '';
    for (const [open, end] of OPAQUE) {
      const o = s.indexOf(open, i);
      if (o >= 0 && (next < 0 || o < next)) {
        next = o;
        closer = end;
      }
    }
    if (next < 0 || (close >= 0 && close < next)) return close < 0 ? -1 : close + CLOSE.length;
    const e = s.indexOf(closer, next + 4);
    if (e < 0) return -1;
    i = e + closer.length;
  }
}

/** Every complete `<Event>` element of a text, in order. */
export function eventElements(text: string): string[] {
  const out: string[] = [];
  for (let i = eventStart(text); i >= 0; ) {
    const j = eventEnd(text, i);
    if (j < 0) break;
    out.push(text.slice(i, j));
    i = eventStart(text, j);
  }
  return out;
}
