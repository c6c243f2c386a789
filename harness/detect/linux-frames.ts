/**
 * Stack frames and instruction-pointer lines of Linux kernel reports, in the shapes the
 * kernel prints them on x86, arm64 and arm:
 *
 *    dump_stack+0x137/0x198                      (modern, optionally `[module]`)
 *    ? __die+0x23/0x70                           (`?`: found on the stack, unreliable)
 *    vfs_read+0x2d4/0x448 fs/read_write.c:470    (symbolized)
 *    call_read_iter include/linux/fs.h:2193 [inline]
 *    [<ffffffff81e162ed>] dump_stack+0xc1/0x124  (before 4.15 and in kmemleak)
 *   [<8011218c>] (unwind_backtrace) from [<8010e300>] (show_stack+0x18/0x1c)   (arm)
 *   RIP: 0010:sensor_parse_channel+0x15/0x40 [sensor]   / pc : x+0x18/0xb8 / PC is at x+0x4c/0x78
 */

export interface Frame {
  /** Function name without compiler suffixes (`.isra.0`, `.part.3`, `.cold`, ...). */
  fn: string;
  module?: string;
  /** Printed with `? `: a stale return address, not part of the call chain. */
  unreliable: boolean;
  /** arm `(callee) from (caller)` lines name the caller too. */
  caller?: Frame;
}

/** A Frame with every field present (one shape for all frames: the code that reads them stays monomorphic). */
export function frameOf(fn: string, unreliable: boolean, module?: string): Frame {
  return { fn, module, unreliable, caller: undefined };
}

/** The character code at `i`, 0 past the end (a read past the end would cost optimized code a deoptimization). */
function code(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 /* _ */;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 46 /* . */ || c === 36 /* $ */;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** `foo.isra.0` -> `foo`; `foo.cold` -> `foo`. */
export function cleanFunctionName(name: string): string {
  const dot = name.indexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  // A C++ (Itanium-mangled) name, as some out-of-tree modules have: `_Z8fakeNameiii` -> `fakeName`.
  if (code(base, 0) !== 95 || code(base, 1) !== 90) return base;
  const m = /^_Z(\d+)/.exec(base);
  if (m?.[1]) {
    const len = Number(m[1]);
    const start = m[0].length;
    if (start + len <= base.length) return base.slice(start, start + len);
  }
  return base;
}

/** Index after `+0xHEX/0xHEX` at `i`, or -1. */
function offsetEnd(s: string, i: number): number {
  if (code(s, i) !== 43 /* + */ || code(s, i + 1) !== 48 || code(s, i + 2) !== 120) return -1;
  let j = i + 3;
  const h0 = j;
  while (isHex(code(s, j))) j++;
  if (j === h0) return -1;
  if (code(s, j) !== 47 /* / */) return j; // `func+0x1a` (some arm dumps) is still a frame
  if (code(s, j + 1) !== 48 || code(s, j + 2) !== 120) return -1;
  j += 3;
  const s0 = j;
  while (isHex(code(s, j))) j++;
  return j === s0 ? -1 : j;
}

/** `[module]` or `[module buildid]` right after a frame. */
function moduleAt(s: string, i: number): string | undefined {
  if (code(s, i) !== 32 || code(s, i + 1) !== 91 /* [ */) return undefined;
  let j = i + 2;
  const m0 = j;
  while (j < s.length) {
    const c = code(s, j);
    if (c === 93 /* ] */ || c === 32) break;
    j++;
  }
  const name = s.slice(m0, j);
  if (name === '' || name === 'inline' || !/^[\w-]+$/.test(name)) return undefined;
  return name;
}

/** Skips `[<ffffffff81e162ed>] ` at `i`; returns the new index (or `i`). */
function skipAddress(s: string, i: number): number {
  if (code(s, i) !== 91 || code(s, i + 1) !== 60 /* < */) return i;
  const close = s.indexOf('>]', i + 2);
  if (close < 0) return i;
  let j = close + 2;
  while (code(s, j) === 32) j++;
  return j;
}

/** A frame at position `i` of `s` (a function name followed by `+0x../0x..` or `... [inline]`). */
function frameAt(s: string, i: number, unreliable: boolean): Frame | null {
  if (!isNameStart(code(s, i))) return null;
  let j = i + 1;
  while (isNameChar(code(s, j))) j++;
  const name = s.slice(i, j);
  const end = offsetEnd(s, j);
  if (end > 0) {
    return frameOf(cleanFunctionName(name), unreliable, moduleAt(s, end) || undefined);
  }
  // Inlined frame of a symbolized report: `name path/file.c:123 [inline]`.
  if (code(s, j) === 32 && s.endsWith('[inline]') && s.indexOf(':', j) > 0) {
    return frameOf(cleanFunctionName(name), unreliable);
  }
  return null;
}

/** The frame on a stack-trace line, or null when the line is not one. */
export function parseFrame(body: string): Frame | null {
  let i = 0;
  while (code(body, i) === 32 || code(body, i) === 9) i++;
  const c = code(body, i);
  if (c === 91 /* [ */) {
    const j = skipAddress(body, i);
    if (j === i) return null;
    i = j;
    // arm: `[<pc>] (callee+0x../0x..) from [<lr>] (caller+0x../0x..)`
    if (code(body, i) === 40 /* ( */) {
      let k = i + 1;
      while (isNameChar(code(body, k))) k++;
      const close = code(body, k);
      if (k === i + 1 || (close !== 41 /* ) */ && close !== 43 /* + */)) return null;
      const frame = frameOf(cleanFunctionName(body.slice(i + 1, k)), false);
      const from = body.indexOf(' from [<', k);
      if (from > 0) {
        const open = body.indexOf('(', from);
        let e = open + 1;
        while (isNameChar(code(body, e))) e++;
        if (open > 0 && e > open + 1) frame.caller = frameOf(cleanFunctionName(body.slice(open + 1, e)), false);
      }
      return frame;
    }
  } else if (!isNameStart(c) && c !== 63 /* ? */) {
    return null;
  }
  let unreliable = false;
  if (code(body, i) === 63 && code(body, i + 1) === 32) {
    unreliable = true;
    i += 2;
  }
  return frameAt(body, i, unreliable);
}

/** The first `name+0x../0x..` anywhere in `s` from `from` (e.g. in `RIP: 0010:[<..>] name+0x..`). */
export function findFrame(s: string, from = 0): Frame | null {
  let p = s.indexOf('+0x', from);
  while (p > 0) {
    let i = p;
    while (i > 0 && isNameChar(code(s, i - 1))) i--;
    if (i < p && isNameStart(code(s, i))) {
      const f = frameAt(s, i, false);
      if (f) return f;
    }
    p = s.indexOf('+0x', p + 3);
  }
  return null;
}

/** What an instruction-pointer line says: a kernel frame, user mode, or not an IP line. */
export type IpLine = { kind: 'kernel'; frame: Frame | null } | { kind: 'user' } | null;

/**
 * `RIP: 0010:func+0x..` (x86_64; `0033`/`0023` are user mode), `IP: func+0x..` and
 * `EIP: func+0x..`/`EIP is at` (old x86), `pc : func+0x..` (arm64), `PC is at func+0x..`
 * (arm), `NIP [..] func+0x..` (powerpc).
 */
export function parseIpLine(body: string): IpLine {
  let i = 0;
  while (code(body, i) === 32) i++;
  let rest: number;
  const c = code(body, i);
  if (c === 82 /* R */ && body.startsWith('RIP: ', i)) rest = i + 5;
  else if (c === 73 /* I */ && body.startsWith('IP: ', i)) rest = i + 4;
  else if (c === 69 /* E */ && (body.startsWith('EIP: ', i) || body.startsWith('EIP is at ', i))) rest = i + 4;
  else if (c === 112 /* p */ && body.startsWith('pc : ', i)) rest = i + 5;
  else if (c === 80 /* P */ && body.startsWith('PC is at ', i)) rest = i + 9;
  else if (c === 78 /* N */ && body.startsWith('NIP ', i)) rest = i + 4;
  else return null;
  // x86_64 code segment: 0010 kernel, 0033 / 0023 user.
  if (body.startsWith('0033:', rest) || body.startsWith('0023:', rest)) return { kind: 'user' };
  return { kind: 'kernel', frame: findFrame(body, rest) };
}

/**
 * A lockdep `..., at: func+0x../0x..` reference (the place a lock was taken), or null.
 * `trailing` is true when the line ends with `at:` and the frame is on the next line.
 */
export function parseLockAt(body: string): { frame: Frame | null; trailing: boolean } | null {
  const at = body.lastIndexOf('at:');
  if (at < 0) return null;
  if (body.trimEnd().length === at + 3) return { frame: null, trailing: true };
  if (code(body, at + 3) !== 32 || (at > 0 && code(body, at - 1) !== 32)) return null;
  const f = findFrame(body, at + 4);
  return f ? { frame: f, trailing: false } : null;
}
