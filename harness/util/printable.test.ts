import { describe, expect, it } from 'vitest';
import { jsonText } from './json-text.js';
import { printable } from './printable.js';

/** A crash title as hostile as a guest can print it. */
const HOSTILE = 'BUG: \u001b[2J\u001bc\u001b]0;pwned\u0007\u009b31mred\u001b[0m nul:\u0000 bel:\u0007 cr:\rX del:\u007f c1:\u0085 tab:\t end';

describe('printable', () => {
  it('removes escape sequences whole, 7-bit and C1, and shows every other control as \\xNN', () => {
    expect(printable(HOSTILE)).toBe('BUG: red nul:\\x00 bel:\\x07 cr:\\x0dX del:\\x7f c1:\\x85 tab:\t end');
  });
  it('keeps line feeds and tabs, drops the CR of a CRLF; oneLine shows line feeds too', () => {
    expect(printable('a\r\nb\nc\td')).toBe('a\nb\nc\td');
    expect(printable('a\r\nb\nc', { oneLine: true })).toBe('a\\x0ab\\x0ac');
  });
  it('an unfinished sequence loses its escape, its text stays', () => {
    expect(printable('x\u001b')).toBe('x\\x1b');
    expect(printable('x\u001b]0;title without end')).toBe('x0;title without end');
    expect(printable('\u009b')).toBe('\\x9b');
  });
  it('shows bidirectional overrides, embeddings, isolates and marks as \\uNNNN: they cannot reorder the line', () => {
    expect(printable('sensor_\u202egnp.exe')).toBe('sensor_\\u202egnp.exe');
    expect(printable('a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl')).toBe(
      'a\\u202ab\\u202bc\\u202cd\\u202de\\u2066f\\u2067g\\u2068h\\u2069i\\u200ej\\u200fk\\u061cl',
    );
    expect(printable('שלום עולם مرحبا')).toBe('שלום עולם مرحبا'); // right-to-left text itself stays
  });
  it('leaves ordinary text alone, Unicode included, and is idempotent', () => {
    const s = 'WARNING in ipe_kernel_read_file — ünïcode ✓';
    expect(printable(s)).toBe(s);
    expect(printable(printable(HOSTILE))).toBe(printable(HOSTILE));
  });
});

describe('jsonText', () => {
  it('escapes C0, DEL and C1 inside strings; the value read back is the raw text', () => {
    const text = jsonText({ title: HOSTILE });
    expect(text.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/); // line feeds of the layout aside
    expect(JSON.parse(text)).toEqual({ title: HOSTILE });
    expect(text).toBe(JSON.stringify({ title: HOSTILE }, null, 2).replace(/\u009b/g, '\\u009b').replace(/\u007f/g, '\\u007f').replace(/\u0085/g, '\\u0085'));
  });
  it('escapes a right-to-left override too; the value read back keeps it', () => {
    const text = jsonText({ title: 'x\u202ey' });
    expect(text).toContain('"x\\u202ey"');
    expect(JSON.parse(text)).toEqual({ title: 'x\u202ey' });
  });
});
