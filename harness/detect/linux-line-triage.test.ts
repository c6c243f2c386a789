/**
 * Reading console lines in place: the printk prefix as offsets into a chunk, the header pre-check,
 * the triage of each line and the cursors it uses. Each must say what the string-based readers say
 * of the same line cut out on its own (splitConsoleLine, splitAtTimestamps, matchHeader).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrintkPrefix, consoleLineOf, splitAtTimestamps, splitConsoleLine } from './console-line.js';
import { startsLikeHeader } from './linux-header-starts.js';
import { matchHeader } from './linux-headers.js';
import { LineTriage, MAY_BE_HEADER, SECOND_RECORD } from './linux-line-triage.js';
import { NeedleCursor } from './needle-cursor.js';
import { RecentLines } from './recent-lines.js';

const SHAPES = [
  '[   12.345678] plain message',
  '[  147.467058][T10579] foo: bar',
  '[   36.852785][    C1]  dump_stack+0x1/0x2',
  '<6>[   85.501187] WARNING: foo',
  '<4>plain with a level',
  'plain text',
  '',
  '[',
  '[ 12.34] too few decimals',
  '[    0.000000] Linux version 6.1.0',
  '[ 1.000000] a[ 2.000000] b',
  '** 12 printk messages dropped ** [   60.095515] CPU: 1',
  '[  1.000000]',
  '[  1.000000][T1]',
];

/** The lines of `text` as [start, end) pairs, as the detector walks them. */
function spans(text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    out.push([start, nl]);
    start = nl + 1;
  }
  out.push([start, text.length]);
  return out;
}

describe('printk prefix read in place', () => {
  it('reads each line of a chunk as splitConsoleLine reads it cut out', () => {
    const text = SHAPES.join('\n');
    const p = new PrintkPrefix();
    for (const [start, end] of spans(text)) {
      const raw = text.slice(start, end);
      expect(consoleLineOf(text, start, end, p.read(text, start, end)), raw).toEqual(splitConsoleLine(raw));
    }
  });

  it('stops at the end of its line', () => {
    // A time stamp cut by the end of the line (a line cut at its length limit) is none, whatever follows.
    const text = '[   12.345678] next';
    const p = new PrintkPrefix().read(text, 0, 13);
    expect(p.time).toBeNaN();
    expect(p.body).toBe(0);
    const q = new PrintkPrefix().read('[  1.000000][T12\n] x', 0, 16);
    expect(q.callerEnd).toBe(q.callerStart);
  });

  it('reads the time in seconds and the caller id', () => {
    const text = 'x\n[  147.467058][T10579] foo: bar\n';
    const p = new PrintkPrefix().read(text, 2, text.length - 1);
    expect(p.time).toBe(147.467058);
    expect(text.slice(p.callerStart, p.callerEnd)).toBe('T10579');
    expect(text.slice(p.body, text.length - 1)).toBe('foo: bar');
  });
});

describe('header starts', () => {
  it('lets through every kind of header line', () => {
    for (const line of [
      'BUG: kernel NULL pointer dereference, address: 0000000000000008',
      'BUG kmalloc-64 (Not tainted): Object already free',
      'WARNING: CPU: 1 PID: 412 at net/core/dev.c:123 f+0x1/0x2',
      'watchdog: BUG: soft lockup - CPU#0 stuck for 22s!',
      'NMI watchdog: Watchdog detected hard LOCKUP on cpu 1',
      'rcu: INFO: rcu_sched self-detected stall on CPU',
      'INFO: task udevd:5612 blocked for more than 143 seconds.',
      'Internal error: Oops: 96000005 [#1] PREEMPT SMP',
      'Kernel panic - not syncing: Fatal exception',
      'kernel BUG at mm/slub.c:3452!',
      'general protection fault: 0000 [#1] SMP KASAN',
      'UBSAN: shift-out-of-bounds in net/x.c:1:2',
      'Unable to handle kernel paging request at virtual address 0000000000000008',
      'divide error: 0000 [#1] SMP',
      'invalid opcode: 0000 [#1] SMP',
      'Oops: 0000 [#1] SMP',
      'unreferenced object 0xffff888012345678 (size 32):',
      '  BUG: indented',
      '\t WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2',
      '[ INFO: possible circular locking dependency detected ]',
      '[   BUG: bad unlock balance detected! ]',
    ]) {
      expect(startsLikeHeader(line, 0, line.length), line).toBe(true);
      expect(matchHeader(line), line).not.toBeNull();
    }
  });

  it('turns away lines no header begins with', () => {
    for (const line of [
      'EXT4-fs (vda1): mounted filesystem with ordered data mode.',
      'systemd[1]: Started systemd-journald.service - Journal Service.',
      'IPv6: ADDRCONF(NETDEV_CHANGE): enp0s3: link becomes ready',
      'random: crng init done',
      '[  OK  ] Started Journal Service.',
      '  [<ffffffff81e162ed>] dump_stack+0xc1/0x124',
      ' ? __die+0x23/0x70',
      '',
      'B',
    ]) {
      expect(startsLikeHeader(line, 0, line.length), line).toBe(false);
    }
  });

  it('leaves blanks it does not know to matchHeader', () => {
    // trim() also skips U+00A0 and the Unicode spaces: the check lets such lines through.
    expect(startsLikeHeader('\t\u2003BUG: x', 0, 8)).toBe(true);
    expect(matchHeader('\t\u2003BUG: something bad')).not.toBeNull();
  });
});

describe('line triage', () => {
  it('flags second records and headers, at the start or further on', () => {
    const lines = [
      '[   12.345678] EXT4-fs (vda1): mounted filesystem',
      '[   12.345678] BUG: kernel NULL pointer dereference',
      '[   12.345678] some text BUG: spinlock lockup suspected',
      '[ 1.000000] a[ 2.000000] b',
      '[ 1.000000] systemd[1]: Started',
      '<6>[ 1.000000] after a level',
      '** 12 printk messages dropped ** [   60.095515] Kernel panic - not syncing: x',
    ];
    const text = lines.join('\n');
    const t = new LineTriage();
    t.reset(text);
    const p = new PrintkPrefix();
    const flags = spans(text).map(([s, e]) => t.flags(text, s, e, p.read(text, s, e).body));
    expect(flags).toEqual([0, MAY_BE_HEADER, MAY_BE_HEADER, SECOND_RECORD, 0, 0, SECOND_RECORD | MAY_BE_HEADER]);
  });

  it('flags every line of the fixture corpus that holds a header or two records', () => {
    const dir = fileURLToPath(new URL('./testdata/linux-console/', import.meta.url));
    const t = new LineTriage();
    const p = new PrintkPrefix();
    let headers = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt'))) {
      const text = readFileSync(dir + f, 'utf8');
      t.reset(text);
      for (const [start, end] of spans(text)) {
        const raw = text.slice(start, end);
        const flags = t.flags(text, start, end, p.read(text, start, end).body);
        const pieces = splitAtTimestamps(raw);
        if (pieces.length > 1) expect(flags & SECOND_RECORD, `${f}: ${raw}`).toBe(SECOND_RECORD);
        else if (matchHeader(splitConsoleLine(raw).body)) {
          headers++;
          expect(flags & MAY_BE_HEADER, `${f}: ${raw}`).toBe(MAY_BE_HEADER);
        }
      }
    }
    expect(headers).toBeGreaterThan(228);
  });
});

describe('needle cursor', () => {
  afterEach(() => vi.restoreAllMocks());

  it('finds each needle in order and tells ranges that hold one', () => {
    const c = new NeedleCursor(['BUG: ', 'WARN']);
    const text = 'aaa BUG: x\nbbb\nccc WARN y\n';
    c.reset(text);
    expect(c.nextOf(0, 0)).toBe(4);
    expect(c.anyIn(0, 10)).toBe(true);
    expect(c.anyIn(11, 14)).toBe(false);
    expect(c.anyIn(15, 25)).toBe(true);
    expect(c.nextOf(0, 15)).toBe(text.length);
    c.reset('BUG: again');
    expect(c.nextOf(0, 0)).toBe(0);
  });

  it('searches a text without the needle once, not once a line', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `[ ${i}.000000] line without one`).join('\n');
    const c = new NeedleCursor(['BUG: ']);
    c.reset(text);
    const lines = spans(text);
    const indexOf = vi.spyOn(String.prototype, 'indexOf');
    for (const [start, end] of lines) expect(c.anyIn(start, end)).toBe(false);
    expect(indexOf).toHaveBeenCalledTimes(1);
  });
});

describe('recent lines', () => {
  it('keeps the last few lines, oldest first, cut out only when asked for', () => {
    const r = new RecentLines(3);
    expect(r.last()).toBeUndefined();
    expect(r.all()).toEqual([]);
    const text = 'one\ntwo\nthree\nfour';
    for (const [s, e] of spans(text)) r.push(text, s, e);
    expect(r.all()).toEqual(['two', 'three', 'four']);
    expect(r.last()).toBe('four');
    r.push('five', 0, 4);
    expect(r.all()).toEqual(['three', 'four', 'five']);
  });
});
