/**
 * What recognising a crash header yields (HeaderHit): the kind of report, its title stem, where
 * its guilty function is, and how its lines are read; with the constructors every format uses.
 */
import type { CrashClass } from '../results/crash-record.js';
import { type Frame, findFrame } from './linux-frames.js';

/** Where the guilty function of a report comes from. */
export type FnMode =
  /** The header's own function if it names one, then the instruction pointer and call trace. */
  | 'stack'
  /**
   * Stalls, lockups, stack overflows: past the detector's own interrupt frames, the handler
   * that the nearest dispatch layer (syscall, VFS, netlink, softirq, workqueue...) called.
   */
  | 'stall'
  /**
   * Hung tasks: the blocked task's stack, past the frames through which it went to sleep; a
   * wait for RTNL or an RCU grace period is named after that.
   */
  | 'hang'
  /** lockdep: the `at: func` where the offending lock is taken, then the stack. */
  | 'lock'
  /** kmemleak: the allocation backtrace. */
  | 'leak'
  /** The title names no function. */
  | 'none';

export interface HeaderHit {
  cls: CrashClass;
  /** The title is `${stem} in ${function}`, or the stem alone for mode 'none'. */
  stem: string;
  mode: FnMode;
  /** The function the header line itself names (`WARNING: ... at file:line func+0x..`, `KASAN: ... in func`). */
  frame?: Frame;
  /** A `Kernel panic - not syncing:` line: part of the report it follows, if any. */
  panic?: boolean;
  /** A panic message the kernel prints only after another report (Fatal exception, panic_on_warn...). */
  followOn?: boolean;
  /** Printed inside a report another header began (`Oops: 0000 [#1]`, `Internal error:`...). */
  secondary?: boolean;
  /** Sanitizer report: ends with a line of `=`. */
  fenced?: boolean;
  /** KASAN: the access kind (Read/Write) is on a following line. */
  access?: boolean;
  /** Sanitizer reports name the faulting function on the header line: trust it even without a stack. */
  trustFrame?: boolean;
  /** Matched only by the catch-all `BUG: message` rule. */
  generic?: boolean;
  /** A following line that names the culprit outright: `<label>func`. */
  fnLabel?: string;
  /** lockdep: the line under which the trace naming the culprit is printed. */
  lockSection?: string;
  /**
   * Printed for user-mode faults too (arm `Unhandled fault:`): a crash only if an oops
   * (`Internal error:`) follows.
   */
  needsOops?: boolean;
  /**
   * A bare `WARNING: text` is a crash report only if the kernel dumps its context after it, as
   * every report path does (dump_stack(): a `CPU: N PID: N` line and a call trace). A driver's
   * or a subsystem's notice that happens to start with the word has none.
   */
  needsDump?: boolean;
}

/**
 * A HeaderHit with every field present, in one order: all hits share one shape, so the code that
 * reads them (on every line of a report) stays monomorphic.
 */
export function hit(cls: CrashClass, stem: string, mode: FnMode, extra?: Partial<HeaderHit>): HeaderHit {
  const h: HeaderHit = {
    cls,
    stem,
    mode,
    frame: undefined,
    panic: undefined,
    followOn: undefined,
    secondary: undefined,
    fenced: undefined,
    access: undefined,
    trustFrame: undefined,
    generic: undefined,
    fnLabel: undefined,
    lockSection: undefined,
    needsOops: undefined,
    needsDump: undefined,
  };
  // Copied by the builtin: reading each field of the many literal shapes of `extra` here would not stay monomorphic either.
  return extra ? Object.assign(h, extra) : h;
}

export function withFrame(h: HeaderHit, frame: Frame | null): HeaderHit {
  if (frame) h.frame = frame;
  return h;
}

/** `type in func+0x..`: the type text before ` in ` (or before ` on `/` at `), and the frame. */
export function typeAndFrame(rest: string): { type: string; frame: Frame | null } {
  let end = rest.indexOf(' in ');
  for (const sep of [' on ', ' at ', ' for ']) {
    const k = rest.indexOf(sep);
    if (k >= 0 && (end < 0 || k < end)) end = k;
  }
  const type = (end < 0 ? rest : rest.slice(0, end)).trim();
  return { type, frame: end < 0 ? null : findFrame(rest, end) };
}
