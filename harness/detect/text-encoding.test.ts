import { describe, expect, it } from 'vitest';
import { decodeText, sniffEncoding, TextStreamDecoder } from './text-encoding.js';

const CONSOLE = '[    0.000000] Linux version 6.1.0-18-amd64\n[    3.449904] BUG: kernel NULL pointer dereference\n';
const bom = (le: boolean, text: string) => {
  const body = Buffer.from(text, 'utf16le');
  return le ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : Buffer.concat([Buffer.from([0xfe, 0xff]), body.swap16()]);
};

describe('sniffEncoding', () => {
  it('takes UTF-16 with a byte-order mark and text after it, English or not', () => {
    expect(sniffEncoding(bom(true, 'ProviderName : Microsoft-Windows-Kernel-Power\r\n'))).toEqual({ encoding: 'utf-16le', skip: 2 });
    expect(sniffEncoding(bom(false, 'Log Name: System\r\n'))).toEqual({ encoding: 'utf-16be', skip: 2 });
    // Japanese lines: little ASCII, but line feeds of its own.
    expect(sniffEncoding(bom(true, 'システムは正常にシャットダウンされずに再起動しました。\r\n'.repeat(3)))).toMatchObject({ encoding: 'utf-16le' });
    expect(sniffEncoding(Buffer.from([0xff, 0xfe]))).toMatchObject({ encoding: 'utf-16le' });
  });

  it('does not take a byte-order mark before 8-bit text for UTF-16: skips it and says so', () => {
    const g = sniffEncoding(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONSOLE)]));
    expect(g).toMatchObject({ encoding: 'utf-8', skip: 2 });
    expect(g.note).toMatch(/UTF-16 LE byte-order mark, but what follows is not UTF-16 text/);
    expect(sniffEncoding(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(CONSOLE)]))).toMatchObject({ encoding: 'utf-8', skip: 2 });
  });

  it('takes UTF-16 without a byte-order mark only for ASCII text with NUL high bytes, never for NUL padding', () => {
    expect(sniffEncoding(Buffer.from('Log Name: System\r\n', 'utf16le'))).toEqual({ encoding: 'utf-16le', skip: 0 });
    expect(sniffEncoding(Buffer.concat([Buffer.alloc(600), Buffer.from(CONSOLE)]))).toEqual({ encoding: 'utf-8', skip: 0 });
    expect(sniffEncoding(Buffer.alloc(4096))).toEqual({ encoding: 'utf-8', skip: 0 });
    expect(sniffEncoding(Buffer.from(CONSOLE))).toEqual({ encoding: 'utf-8', skip: 0 });
    expect(sniffEncoding(Buffer.from(`\ufeff${CONSOLE}`))).toEqual({ encoding: 'utf-8', skip: 3 });
  });
});

describe('TextStreamDecoder', () => {
  it('decodes pieces cut inside a character, UTF-8 and UTF-16 of both byte orders', () => {
    const text = 'Ünïcödé ✓ 𝄞 line\n';
    for (const [enc, bytes] of [
      ['utf-8', Buffer.from(text)],
      ['utf-16le', Buffer.from(text, 'utf16le')],
      ['utf-16be', Buffer.from(text, 'utf16le').swap16()],
    ] as const) {
      const d = new TextStreamDecoder(enc);
      let out = '';
      for (let i = 0; i < bytes.length; i++) out += d.write(bytes.subarray(i, i + 1));
      expect(out + d.end(), enc).toBe(text);
    }
  });

  it('never swaps the caller\'s buffer in place', () => {
    const be = Buffer.from('ab', 'utf16le').swap16();
    const copy = Buffer.from(be);
    new TextStreamDecoder('utf-16be').write(be);
    expect(be.equals(copy)).toBe(true);
  });

  it('decodeText reads a whole buffer as sniffEncoding tells', () => {
    expect(decodeText(bom(false, 'x\r\n'))).toBe('x\r\n');
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONSOLE)]))).toBe(CONSOLE);
  });
});
