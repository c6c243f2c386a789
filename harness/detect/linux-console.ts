/**
 * Linux kernel console crash detector: finds oopses, BUGs, WARNINGs, sanitizer reports
 * (KASAN, KMSAN, KFENCE, UBSAN), lockdep splats, lockups, hung tasks, RCU stalls, panics and
 * kmemleak reports in a serial console log, and turns each into a CrashRecord.
 *
 * Streaming: `push()` takes chunks split anywhere, keeps only the open reports (bounded) and
 * a few lines of context, and returns the reports that completed. A report completes at its
 * end marker (`---[ end trace`, `Kernel Offset:`, a sanitizer's closing `=====` line...), when
 * another report of the same printk caller begins, after MAX_REPORT_LINES lines, or at `end()`.
 *
 * Records are deduplicated by signature (the same WARNING firing in a loop is one record).
 * A panic printed after a report (`Kernel panic - not syncing: Fatal exception`) is part of
 * that report, not a record of its own; so is a reboot after a crash.
 */
import type { CrashRecord } from '../results/crash-record.js';
import { signatureOf } from '../results/crash-record.js';
import { type ConsoleLine, consoleLineOf, PrintkPrefix, splitAtTimestamps, splitConsoleLine } from './console-line.js';
import { BootTracker } from './linux-boot.js';
import { parseFrame } from './linux-frames.js';
import { type HeaderHit, matchHeader } from './linux-headers.js';
import { LineTriage, MAY_BE_HEADER, SECOND_RECORD } from './linux-line-triage.js';
import { reportRecord, reportTitle } from './linux-report.js';
import { RecentLines } from './recent-lines.js';

/** Lines kept per report for analysis (the excerpt is shorter). */
export const MAX_REPORT_LINES = 400;
/** Reports open at once (interleaved reports from different printk callers). */
const MAX_OPEN_REPORTS = 8;
/** A panic this many lines after a report is that report's tail. */
const PANIC_LINGER_LINES = 300;
/** A header this close after another one, before any stack, continues that report. */
const PREAMBLE_MERGE_LINES = 10;
/** A bare `WARNING:` whose context dump has not begun this many lines after it is a notice. */
const DUMP_WINDOW_LINES = 12;
/** A line longer than this is cut (a console without line breaks must not grow memory). */
const MAX_LINE_CHARS = 64 * 1024;

export interface LinuxConsoleOptions {
  /**
   * Report a reboot that no crash report explains (`unexpected kernel reboot`). Default true;
   * turn off when the console log spans a reboot the harness asked for.
   */
  reboots?: boolean;
}

interface OpenReport {
  /** Message number of the header: records are ordered by it. */
  start: number;
  hit: HeaderHit;
  caller: string | undefined;
  lines: ConsoleLine[];
  before: string[];
  spliced: boolean;
  /** A call trace or frame was seen: the report is past its preamble. */
  stackSeen: boolean;
  /** The kernel oopsed (for headers that need one to be a crash). */
  oopsed: boolean;
}

function isSeparator(body: string): boolean {
  const t = body.trim();
  return t.includes('[ cut here ]') || t.includes('--- cut here ---') || /^={20,}$/.test(t);
}

function isEndMarker(body: string, r: OpenReport): boolean {
  if (body.length === 0) return false;
  const c = body.charCodeAt(0);
  if (c === 45 /* - */) return body.startsWith('---[ end trace') || body.startsWith('---[ end Kernel panic');
  if (c === 75 /* K */) return body.startsWith('Kernel Offset:');
  if (c === 82 /* R */) return body.startsWith('Rebooting in ');
  if (c === 61 /* = */) return r.hit.fenced === true && r.lines.length > 1 && /^={20,}\s*$/.test(body);
  return false;
}

/**
 * A line of the kernel's dump of the current context (dump_stack(), show_regs()): `CPU: 1 PID: 7
 * Comm: ...` (6.x: `CPU: 1 UID: 0 PID: 7`), 2.6's `Pid: 7, comm:`, or a call trace heading.
 */
function isDumpLine(body: string): boolean {
  const t = body.trimStart();
  if (t.startsWith('CPU: ')) return /^CPU: \d+ (?:UID: \d+ )?PID: \d+/.test(t);
  return t.startsWith('Call Trace:') || t.startsWith('Call trace:') || t.startsWith('Backtrace:') || /^Pid: \d+, comm:/.test(t);
}

/** A call-trace line: the report is past its preamble. */
function isStackLine(body: string): boolean {
  if (body.includes('+0x') || body.endsWith('[inline]')) return parseFrame(body) !== null;
  return body.includes('Call Trace') || body.includes('Call trace') || body.includes('Backtrace');
}

/** A completed record and the message number its report began at. */
export interface PositionedRecord {
  record: CrashRecord;
  start: number;
}

export class LinuxConsoleDetector {
  private partial = '';
  private open: OpenReport[] = [];
  /** The lines before this one: a report takes a `[ cut here ]` from them, a reboot its excerpt. */
  private readonly recent = new RecentLines(3);
  private readonly prefix = new PrintkPrefix();
  private readonly triage = new LineTriage();
  private seen = new Set<string>();
  private lineNo = 0;
  private lastClose = Number.NEGATIVE_INFINITY;
  /** A report was seen since the machine last booted. */
  private reportThisBoot = false;
  private sawHeader = false;
  private timed = 0;
  private readonly boot: BootTracker | undefined;

  constructor(options: LinuxConsoleOptions = {}) {
    this.boot = options.reboots === false ? undefined : new BootTracker();
  }

  /** True once a crash header was seen: the caller may stop waiting for more output. */
  get crashing(): boolean {
    return this.sawHeader;
  }

  /** Messages with a printk time stamp so far: evidence that the text is a kernel console. */
  get printkLines(): number {
    return this.timed;
  }

  /** Feeds console output; returns the reports this chunk completed. */
  push(chunk: string): CrashRecord[] {
    return this.feed(chunk).map((e) => e.record);
  }

  /** End of the log: completes every open report. */
  end(): CrashRecord[] {
    return this.finish().map((e) => e.record);
  }

  /** push() with each record's position in the log. */
  feed(chunk: string): PositionedRecord[] {
    const out: PositionedRecord[] = [];
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.partial += chunk;
      if (this.partial.length > MAX_LINE_CHARS) this.lastLine(out);
      return out;
    }
    let start = 0;
    if (this.partial !== '') {
      const first = this.partial + chunk.slice(0, nl);
      this.partial = '';
      this.triage.reset(first);
      this.line(first, 0, first.length, out);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    // Lines are read in place, as offsets into the chunk: most are never cut out of it.
    this.triage.reset(chunk);
    for (; nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.line(chunk, start, nl, out);
      start = nl + 1;
    }
    this.partial = chunk.slice(start);
    return out;
  }

  /** end() with each record's position in the log. */
  finish(): PositionedRecord[] {
    const out: PositionedRecord[] = [];
    if (this.partial !== '') this.lastLine(out);
    while (this.open.length > 0) this.close(this.open[0] as OpenReport, out);
    return out;
  }

  /** The partial line as a line of its own (the log ended, or the line is too long to wait for). */
  private lastLine(out: PositionedRecord[]): void {
    const text = this.partial;
    this.partial = '';
    this.triage.reset(text);
    this.line(text, 0, text.length, out);
  }

  /** The line `text[start, end)` (without its line break). */
  private line(text: string, start: number, end: number, out: PositionedRecord[]): void {
    if (end - start > MAX_LINE_CHARS) end = start + MAX_LINE_CHARS;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const p = this.prefix.read(text, start, end);
    const flags = this.triage.flags(text, start, end, p.body);
    if (flags === 0 && this.open.length === 0) {
      // No report to add it to, no header in it: counted, and kept in place for context.
      this.lineNo++;
      if (p.time === p.time) this.timed++;
      if (this.boot?.lineAt(text, p.body, end, p.time)) this.rebooted(text.slice(start, end), out);
      this.recent.push(text, start, end);
    } else if (flags & SECOND_RECORD) this.records(text, start, end, out);
    else this.message(consoleLineOf(text, start, end, p), false, (flags & MAY_BE_HEADER) !== 0, out);
  }

  /** A line that may hold several printk records. */
  private records(text: string, start: number, end: number, out: PositionedRecord[]): void {
    const raw = start === 0 && end === text.length ? text : text.slice(start, end);
    const pieces = splitAtTimestamps(raw);
    if (pieces.length === 1) this.message(splitConsoleLine(raw), false, true, out);
    else for (const piece of pieces) this.message(splitConsoleLine(piece), true, true, out);
  }

  /** One printk record; `header`: it may be a crash header (false: surely not). */
  private message(l: ConsoleLine, spliced: boolean, header: boolean, out: PositionedRecord[]): void {
    this.lineNo++;
    if (l.time !== undefined) this.timed++;
    if (this.boot?.line(l)) this.rebooted(l.raw, out);
    let hit = header ? matchHeader(l.body) : null;
    // A bare `WARNING: text` is trusted only from printk (user space prints no time stamp).
    if (hit?.generic && hit.cls === 'warning' && l.time === undefined) hit = null;
    if (hit) this.header(hit, l, spliced, out);
    else this.body(l, out);
    this.recent.push(l.raw, 0, l.raw.length);
  }

  /** The open report a line belongs to: its caller's, else the latest. */
  private target(l: ConsoleLine): OpenReport | undefined {
    if (l.caller !== undefined) {
      for (let i = this.open.length - 1; i >= 0; i--) {
        const r = this.open[i] as OpenReport;
        if (r.caller === l.caller) return r;
      }
    }
    return this.open[this.open.length - 1];
  }

  private header(hit: HeaderHit, l: ConsoleLine, spliced: boolean, out: PositionedRecord[]): void {
    const target = this.target(l);
    if (hit.panic) {
      if (target) {
        this.add(target, l, out);
        return;
      }
      if (hit.followOn && this.reportThisBoot) return;
      if (this.lineNo - this.lastClose <= PANIC_LINGER_LINES) return;
    }
    if (!hit.needsOops && !hit.needsDump) this.sawHeader = true;
    // Before its stack, a report may print further header-like lines (`Oops: 0000 [#1]`,
    // `Internal error:`, a WARNING inside an RCU stall report): they belong to it.
    if (
      target &&
      !target.stackSeen &&
      (hit.secondary || (target.lines.length <= PREAMBLE_MERGE_LINES && target.hit.mode !== 'none')) &&
      (l.caller === undefined || target.caller === undefined || l.caller === target.caller)
    ) {
      this.add(target, l, out);
      return;
    }
    // A new report: the previous one from the same context is over.
    // (A line without a caller id, e.g. user space writing to the console, ends no kernel
    // report that has one.)
    for (const r of [...this.open]) {
      if (r.caller === undefined || r.caller === l.caller) this.close(r, out);
    }
    if (this.open.length >= MAX_OPEN_REPORTS) this.close(this.open[0] as OpenReport, out);
    const prev = this.recent.last();
    const report: OpenReport = {
      start: this.lineNo,
      hit,
      caller: l.caller,
      lines: [l],
      before: prev !== undefined && isSeparator(splitConsoleLine(prev).body) ? [prev] : [],
      spliced,
      stackSeen: false,
      oopsed: !hit.needsOops && !hit.needsDump,
    };
    this.open.push(report);
    if (report.oopsed) this.reportThisBoot = true;
  }

  private body(l: ConsoleLine, out: PositionedRecord[]): void {
    if (this.open.length === 0) return;
    const r = this.target(l);
    if (r) this.add(r, l, out);
  }

  private add(r: OpenReport, l: ConsoleLine, out: PositionedRecord[]): void {
    r.lines.push(l);
    if (!r.oopsed) {
      if (r.hit.needsDump ? isDumpLine(l.body) : l.body.startsWith('Internal error:') || l.body.startsWith('Kernel panic')) {
        r.oopsed = true;
        this.sawHeader = true;
        this.reportThisBoot = true;
      } else if (r.hit.needsDump && r.lines.length > DUMP_WINDOW_LINES) {
        // No dump followed: a notice, and the lines after it are no report's.
        this.close(r, out);
        return;
      }
    }
    if (!r.stackSeen && isStackLine(l.body)) r.stackSeen = true;
    if (isEndMarker(l.body, r) || r.lines.length >= MAX_REPORT_LINES) this.close(r, out);
  }

  private close(r: OpenReport, out: PositionedRecord[]): void {
    const i = this.open.indexOf(r);
    if (i >= 0) this.open.splice(i, 1);
    if (!r.oopsed) return; // a user-mode fault report
    this.lastClose = this.lineNo;
    const input = { hit: r.hit, lines: r.lines, before: r.before, spliced: r.spliced };
    // A repeat (the same WARNING in a loop) is told by its title: no excerpt or record is made for it.
    const t = reportTitle(input);
    const signature = signatureOf(t.title);
    if (this.seen.has(signature)) return;
    this.seen.add(signature);
    out.push({ record: reportRecord(input, t, signature), start: r.start });
  }

  private rebooted(raw: string, out: PositionedRecord[]): void {
    while (this.open.length > 0) this.close(this.open[0] as OpenReport, out);
    if (!this.reportThisBoot) {
      this.sawHeader = true;
      const title = 'unexpected kernel reboot';
      if (!this.seen.has(signatureOf(title))) {
        this.seen.add(signatureOf(title));
        const record: CrashRecord = {
          os: 'linux',
          source: 'console',
          class: 'unknown',
          title,
          signature: signatureOf(title),
          excerpt: [...this.recent.all(), raw].join('\n'),
        };
        out.push({ record, start: this.lineNo });
      }
    }
    this.reportThisBoot = false;
  }
}

/** Every distinct crash report in a whole console log, in order. */
export function parseLinuxConsole(text: string, options?: LinuxConsoleOptions): CrashRecord[] {
  const d = new LinuxConsoleDetector(options);
  const all = [...d.feed(text), ...d.finish()];
  // Interleaved reports can complete out of order; the log order is the order they began in.
  return all.sort((a, b) => a.start - b.start).map((e) => e.record);
}
