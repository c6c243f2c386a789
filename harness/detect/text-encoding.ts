/**
 * The text encoding of an evidence file, told from its first bytes, and its decoding in pieces.
 *
 * UTF-16 is taken only on evidence of UTF-16 text, never on a few bytes alone: a Linux console
 * that starts with `FF FE` or with a run of NUL bytes is still the UTF-8 it is. PowerShell 5
 * redirection and wevtutil write UTF-16 with a byte-order mark; without one, UTF-16 is taken only
 * for text that is nearly all ASCII with a NUL in every high byte (what those tools write for
 * English text), so NUL padding never passes for it.
 */
import { StringDecoder } from 'node:string_decoder';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface EncodingGuess {
  encoding: TextEncoding;
  /** Bytes to skip at the start: a byte-order mark (also one that turned out not to fit). */
  skip: number;
  /** Why a byte-order mark was not believed, for the user. */
  note?: string;
}

/** Bytes of the head looked at: enough lines of any real text to judge it. */
const PROBE_BYTES = 4096;

interface Utf16Shape {
  units: number;
  /** NUL, C0 controls other than tab, line feed, form feed and carriage return, lone surrogates, U+FFFE/U+FFFF. */
  bad: number;
  /** Units below U+0080 that are not bad. */
  ascii: number;
  /** U+000A: every real UTF-16 text of several lines has them; 8-bit text read as UTF-16 never does without NULs. */
  lineFeeds: number;
}

function utf16Shape(bytes: Buffer, le: boolean): Utf16Shape {
  const n = Math.min(bytes.length, PROBE_BYTES) & ~1;
  const unit = (i: number) => (le ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!);
  const s: Utf16Shape = { units: 0, bad: 0, ascii: 0, lineFeeds: 0 };
  for (let i = 0; i < n; i += 2) {
    const u = unit(i);
    s.units++;
    if (u >= 0xd800 && u <= 0xdbff) {
      // A high surrogate needs a low one next (one cut by the end of the probe is given the benefit of the doubt).
      if (i + 2 < n) {
        const next = unit(i + 2);
        if (next >= 0xdc00 && next <= 0xdfff) {
          i += 2;
          s.units++;
        } else s.bad++;
      }
    } else if ((u >= 0xdc00 && u <= 0xdfff) || u === 0xfffe || u === 0xffff) s.bad++;
    else if (u < 0x20 && u !== 9 && u !== 10 && u !== 12 && u !== 13) s.bad++;
    else if (u < 0x80) {
      s.ascii++;
      if (u === 10) s.lineFeeds++;
    }
  }
  return s;
}

/** After a byte-order mark: mostly valid UTF-16 that reads as text (ASCII share or line breaks of its own). */
function utf16AfterBom(bytes: Buffer, le: boolean): boolean {
  const s = utf16Shape(bytes, le);
  if (s.units === 0) return true;
  return s.bad <= s.units * 0.02 && (s.ascii >= s.units * 0.25 || s.lineFeeds > 0);
}

/** Without a byte-order mark: ASCII text in UTF-16 LE and nothing else. */
function utf16WithoutBom(bytes: Buffer): boolean {
  const s = utf16Shape(bytes, true);
  return s.units >= 4 && s.bad === 0 && s.ascii >= s.units * 0.9;
}

/** The encoding of a file from its first bytes (any length; the first few KiB are looked at). */
export function sniffEncoding(head: Buffer): EncodingGuess {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  const le = head[0] === 0xff && head[1] === 0xfe;
  const be = head[0] === 0xfe && head[1] === 0xff;
  if (le || be) {
    if (utf16AfterBom(head.subarray(2), le)) return { encoding: le ? 'utf-16le' : 'utf-16be', skip: 2 };
    return {
      encoding: 'utf-8',
      skip: 2,
      note: `starts with a UTF-16 ${le ? 'LE' : 'BE'} byte-order mark, but what follows is not UTF-16 text: read as UTF-8`,
    };
  }
  if (utf16WithoutBom(head)) return { encoding: 'utf-16le', skip: 0 };
  return { encoding: 'utf-8', skip: 0 };
}

/** Decodes a file that arrives in pieces, split anywhere (inside a character too). */
export class TextStreamDecoder {
  private readonly decoder: StringDecoder;
  /** UTF-16 BE: an odd byte left over from the last piece. */
  private odd: Buffer | undefined;

  constructor(private readonly encoding: TextEncoding) {
    this.decoder = new StringDecoder(encoding === 'utf-8' ? 'utf8' : 'utf16le');
  }

  write(bytes: Buffer): string {
    if (this.encoding !== 'utf-16be') return this.decoder.write(bytes);
    const all = this.odd ? Buffer.concat([this.odd, bytes]) : bytes;
    const even = all.length & ~1;
    this.odd = even < all.length ? Buffer.from(all.subarray(even)) : undefined;
    // swap16 works in place: swap a copy, never the caller's buffer.
    return this.decoder.write(Buffer.from(all.subarray(0, even)).swap16());
  }

  end(): string {
    return this.decoder.end();
  }
}

/** The text of a whole buffer, its encoding told as sniffEncoding tells it. */
export function decodeText(buf: Buffer): string {
  const { encoding, skip } = sniffEncoding(buf);
  const d = new TextStreamDecoder(encoding);
  return d.write(buf.subarray(skip)) + d.end();
}
