/**
 * The first line of a Linux kernel crash report ("header"), recognised from the message text
 * alone. Called on console lines that may hold one (linux-header-starts.ts), so it dispatches on
 * the first character and compares literal prefixes; regular expressions run only on lines that
 * already matched a prefix.
 */
import type { CrashClass } from '../results/crash-record.js';
import { type Frame, findFrame, frameOf } from './linux-frames.js';
import { MID_LINE_HEADERS, startsLikeHeader } from './linux-header-starts.js';
import { normalizeMessage } from './linux-title.js';

/** Where the guilty function of a report comes from. */
export type FnMode =
  /** The header's own function if it names one, then the instruction pointer and call trace. */
  | 'stack'
  /**
   * Stalls, lockups, stack overflows: past the detector's own interrupt frames, the handler
   * that the nearest dispatch layer (syscall, VFS, netlink, softirq, workqueue...) called.
   */
  | 'stall'
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
function hit(cls: CrashClass, stem: string, mode: FnMode, extra?: Partial<HeaderHit>): HeaderHit {
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

function withFrame(h: HeaderHit, frame: Frame | null): HeaderHit {
  if (frame) h.frame = frame;
  return h;
}

/** `type in func+0x..`: the type text before ` in ` (or before ` on `/` at `), and the frame. */
function typeAndFrame(rest: string): { type: string; frame: Frame | null } {
  let end = rest.indexOf(' in ');
  for (const sep of [' on ', ' at ', ' for ']) {
    const k = rest.indexOf(sep);
    if (k >= 0 && (end < 0 || k < end)) end = k;
  }
  const type = (end < 0 ? rest : rest.slice(0, end)).trim();
  return { type, frame: end < 0 ? null : findFrame(rest, end) };
}

/** Lockdep and RCU-lockdep report titles, after `WARNING: `, `INFO: ` or `BUG: `. */
function lockdepHeader(rest: string, prefix: string): HeaderHit | null {
  if (
    rest.startsWith('possible circular locking dependency detected') ||
    rest.startsWith('possible recursive locking detected') ||
    rest.startsWith('possible irq lock inversion dependency detected')
  ) {
    return hit('lockdep', 'possible deadlock', 'lock');
  }
  // `HARDIRQ-safe -> HARDIRQ-unsafe lock order detected`: named after where the lock became irq-safe.
  if (rest.includes('-safe -> ') && rest.includes('-unsafe lock order detected')) {
    return hit('lockdep', 'possible deadlock', 'lock', { lockSection: '-irq-safe at:' });
  }
  if (rest.startsWith('inconsistent lock state')) return hit('lockdep', 'inconsistent lock state', 'lock');
  if (rest.startsWith('suspicious RCU usage')) return hit('lockdep', `${prefix}suspicious RCU usage`, 'stack');
  if (rest.startsWith('bad unlock balance detected')) return hit('lockdep', `${prefix}bad unlock balance`, 'lock');
  if (rest.startsWith('held lock freed')) return hit('lockdep', `${prefix}held lock freed`, 'lock');
  if (rest.startsWith('lock held when returning to user space')) {
    return hit('lockdep', `${prefix}lock held when returning to user space`, 'lock');
  }
  // `WARNING: syz-fuzzer/4398 still has locks held!`
  if (rest.includes('still has locks held')) return hit('lockdep', `${prefix}still has locks held`, 'lock');
  if (rest.startsWith('nested lock was not taken') || rest.startsWith('Nested lock was not taken')) {
    return hit('lockdep', `${prefix}nested lock was not taken`, 'lock');
  }
  if (rest.startsWith('Invalid wait context')) return hit('lockdep', `${prefix}Invalid wait context`, 'lock');
  if (rest.startsWith('trying to register non-static key')) {
    return hit('lockdep', `${prefix}trying to register non-static key`, 'stack');
  }
  return null;
}

/** `WARNING: CPU: 1 PID: 2 at net/core/dev.c:123 func+0x1/0x2 [mod]`: a WARN(). */
function warnHeader(body: string): HeaderHit {
  const fileMatch = /\s([\w./-]+\.[a-zA-Z]+):\d+/.exec(body);
  const file = fileMatch?.[1] ?? '';
  let frame = findFrame(body);
  if (!frame && fileMatch) {
    // 2.6-era `WARNING: at kernel/foo.c:12 func()`.
    const after = /^\s*([A-Za-z_][\w.]*)\(\)/.exec(body.slice(fileMatch.index + fileMatch[0].length));
    if (after?.[1]) frame = frameOf(after[1], false);
  }
  const fn = frame?.fn ?? '';
  if (file.endsWith('lib/refcount.c') || fn.startsWith('refcount_')) {
    return hit('warning', 'WARNING: refcount bug', 'stack');
  }
  if (file.endsWith('lib/debugobjects.c')) return hit('warning', 'WARNING: ODEBUG bug', 'stack');
  if (file.endsWith('lib/list_debug.c')) return hit('bug', 'BUG: corrupted list', 'stack');
  if (file.endsWith('kernel/locking/lockdep.c')) return hit('lockdep', 'WARNING: locking bug', 'stack');
  if (file.endsWith('fs/proc/generic.c')) return hit('warning', 'WARNING: proc registration bug', 'stack');
  if (file.endsWith('mm/vmalloc.c') && fn.startsWith('__vmalloc_node')) {
    return hit('warning', 'WARNING: zero-size vmalloc', 'stack');
  }
  if ((file.startsWith('mm/') || file.includes('/mm/')) && /^(?:__)?(?:kv?malloc|kmalloc_slab)/.test(fn)) {
    return hit('warning', 'WARNING: kmalloc bug', 'stack');
  }
  return withFrame(hit('warning', 'WARNING', 'stack'), frame);
}

/**
 * Any other `WARNING: message` (a pr_warn()-style report without a WARN() location). Generic, so
 * the console requires a printk time stamp before trusting it (user space writing to the console
 * prints none), and a dump of the context after it (needsDump).
 */
function bareWarning(rest: string): HeaderHit | null {
  const cut = /^(.*?)(?:[:,(\[]| at | on CPU|$)/.exec(rest);
  const msg = normalizeMessage(cut?.[1] ?? rest);
  if (msg === '') return null;
  return hit('warning', `WARNING: ${msg}`, 'none', { generic: true, needsDump: true });
}

function bugHeader(rest: string): HeaderHit | null {
  switch (rest.charCodeAt(0)) {
    case 75: // K
      if (rest.startsWith('KASAN: ')) {
        const { type, frame } = typeAndFrame(rest.slice(7));
        const t = type === 'double-free or invalid-free' || type === 'double-free' ? 'invalid-free' : type;
        return withFrame(hit('kasan', `KASAN: ${t}`, 'stack', { fenced: true, access: true, trustFrame: true }), frame);
      }
      if (rest.startsWith('KMSAN: ')) {
        const { type, frame } = typeAndFrame(rest.slice(7));
        return withFrame(hit('kmsan', `KMSAN: ${type}`, 'stack', { fenced: true, trustFrame: true }), frame);
      }
      if (rest.startsWith('KFENCE: ')) {
        const { type, frame } = typeAndFrame(rest.slice(8));
        return withFrame(hit('kfence', `KFENCE: ${type}`, 'stack', { fenced: true, trustFrame: true }), frame);
      }
      if (rest.startsWith('KCSAN: ')) {
        return hit('unknown', `KCSAN: ${normalizeMessage(rest.slice(7))}`, 'none', { fenced: true });
      }
      break;
    case 107: // k
      if (rest.startsWith('kernel NULL pointer dereference')) {
        return hit('null-deref', 'BUG: kernel NULL pointer dereference', 'stack');
      }
      break;
    case 117: // u
      if (rest.startsWith('unable to handle ')) {
        if (rest.startsWith('unable to handle kernel NULL pointer dereference')) {
          return hit('null-deref', 'BUG: unable to handle kernel NULL pointer dereference', 'stack');
        }
        if (rest.startsWith('unable to handle kernel paging request') || rest.startsWith('unable to handle page fault')) {
          return hit('paging-fault', 'BUG: unable to handle kernel paging request', 'stack');
        }
        // Cut by a console interleave: the rest went to another line.
        return hit('paging-fault', 'BUG: unable to handle kernel', 'none');
      }
      if (rest.startsWith('using ')) {
        const k = rest.indexOf(' in preemptible');
        if (k > 0) return hit('lockdep', `BUG: using ${rest.slice(6, k)} in preemptible code`, 'stack');
      }
      break;
    case 115: // s
      if (rest.startsWith('soft lockup')) return hit('soft-lockup', 'BUG: soft lockup', 'stall');
      if (rest.startsWith('spinlock ') || rest.startsWith('rwlock ')) {
        const m = /^(\w+) (.+?)(?: on CPU| on cpu|,|:|$)/.exec(rest);
        return hit('lockdep', `BUG: ${m?.[1] ?? 'spinlock'} ${m?.[2] ?? 'bug'}`, 'stack');
      }
      if (rest.startsWith('sleeping function called from invalid context')) {
        return hit('bug', 'BUG: sleeping function called from invalid context', 'stack');
      }
      if (rest.startsWith('scheduling while atomic')) return hit('bug', 'BUG: scheduling while atomic', 'stack');
      break;
    case 119: // w
      // `BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 33s!`
      if (rest.startsWith('workqueue lockup')) return hit('hung-task', 'BUG: workqueue lockup', 'none');
      if (rest.startsWith('workqueue leaked lock or atomic')) {
        return hit('lockdep', 'BUG: workqueue leaked lock or atomic', 'stack', { fnLabel: 'last function:' });
      }
      break;
    case 109: // m
      if (rest.startsWith('memory leak')) return hit('memory-leak', 'memory leak', 'leak');
      break;
    case 66: // B
      if (rest.startsWith('Bad page state')) return hit('bug', 'BUG: Bad page state', 'stack');
      if (rest.startsWith('Bad page map')) return hit('bug', 'BUG: Bad page map', 'stack');
      if (rest.startsWith('Bad rss-counter state')) return hit('bug', 'BUG: Bad rss-counter state', 'none');
      break;
    case 77: // M
      if (rest.startsWith('MAX_') && rest.includes('too low')) {
        return hit('lockdep', `BUG: ${rest.slice(0, rest.indexOf('too low') + 7)}!`, 'none');
      }
      break;
  }
  // `BUG: stack guard page was hit at`, 6.x `BUG: TASK stack guard page was hit at`.
  if (/^(?:[A-Z]+ )?stack guard page was hit/.test(rest)) {
    return hit('stack-corruption', 'BUG: stack guard page was hit', 'stack');
  }
  const lock = lockdepHeader(rest, 'BUG: ');
  if (lock) return lock;
  // Any other `BUG: message`: the message up to its first detail.
  const cut = /^(.*?)(?:[:,!(\[]| at | on CPU| in process|$)/.exec(rest);
  const msg = normalizeMessage(cut?.[1] ?? rest);
  if (msg === '') return null;
  return hit('bug', `BUG: ${msg}`, 'stack', { generic: true });
}

/** `BUG kmalloc-64 (Not tainted): Object already free`: a SLUB debug report. */
function slubHeader(body: string): HeaderHit | null {
  const m = /^BUG [\w-]+ \((?:Not tainted|Tainted: [^)]*)\): (.+)$/.exec(body);
  if (!m?.[1]) return null;
  return hit('bug', `BUG: ${normalizeMessage(m[1])}`, 'stack');
}

const FOLLOW_ON_PANICS = [
  'Fatal exception',
  'Oops: Fatal exception',
  'panic_on_warn set',
  'kernel: panic_on_warn set',
  'panic_on_oops',
  'hung_task: blocked tasks',
  'softlockup: hung tasks',
  'Hard LOCKUP',
  'hard LOCKUP',
  'Aiee, killing interrupt handler',
  'Fatal hardware error',
  'Fatal machine check',
];

function panicHeader(msg: string): HeaderHit {
  if (msg.startsWith('stack-protector: Kernel stack is corrupted')) {
    return withFrame(hit('stack-corruption', 'kernel panic: stack is corrupted', 'stack'), findFrame(msg));
  }
  if (msg.startsWith('corrupted stack end detected')) {
    return hit('stack-corruption', 'kernel panic: corrupted stack end', 'stall');
  }
  const followOn = FOLLOW_ON_PANICS.some((p) => msg.startsWith(p));
  let text = msg;
  const exit = text.indexOf(' exitcode=');
  if (exit > 0) text = text.slice(0, exit);
  text = normalizeMessage(text.replace(/\s*\.\.\.\s*$/, ''));
  return hit('panic', `kernel panic: ${text}`, 'none', { panic: true, followOn });
}

function infoHeader(rest: string): HeaderHit | null {
  if (rest.startsWith('task ')) {
    // `INFO: task udevd:5612 blocked for more than 143 seconds.` (6.x: `blocked in I/O wait for more than`)
    if (rest.includes(' blocked ') && rest.includes(' for more than ')) return hit('hung-task', 'INFO: task hung', 'stack');
    if (rest.includes(" can't die for more than ")) return hit('hung-task', "INFO: task can't die", 'stack');
    return null;
  }
  if (rest.startsWith('rcu') && rest.includes(' stall')) return hit('rcu-stall', 'INFO: rcu detected stall', 'stall');
  // SLUB debugging: `INFO: Freed in fasync_free_rcu+0x14/0x20 age=624 cpu=0 pid=3` (its `BUG cache` line may be lost).
  if (rest.startsWith('Freed in ') || rest.startsWith('Allocated in ')) {
    return hit('bug', `INFO: ${normalizeMessage(rest)}`, 'none', { secondary: true });
  }
  return lockdepHeader(rest, 'INFO: ');
}

function internalError(rest: string): HeaderHit {
  if (rest.startsWith('Oops - BUG')) return hit('bug', 'kernel BUG', 'stack', { secondary: true });
  if (rest.startsWith('Oops - undefined instruction')) {
    return hit('invalid-opcode', 'Internal error', 'stack', { secondary: true });
  }
  return hit('unknown', 'Internal error', 'stack', { secondary: true });
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
  switch (body.charCodeAt(0)) {
    case 66: // B
      if (body.startsWith('BUG: ')) return bugHeader(body.slice(5));
      if (body.startsWith('BUG ')) return slubHeader(body);
      return null;
    case 87: // W
      if (body.startsWith('WARNING: ')) {
        const rest = body.slice(9);
        if (rest.startsWith('CPU: ') || rest.startsWith('at ') || /^[\w./-]+\.[a-zA-Z]+:\d+ at /.test(rest)) {
          return warnHeader(body);
        }
        return lockdepHeader(rest, 'WARNING: ') ?? bareWarning(rest);
      }
      if (body.startsWith('Watchdog detected hard LOCKUP')) return hit('hard-lockup', 'BUG: hard lockup', 'stall');
      return null;
    case 119: // w
      return body.startsWith('watchdog: ') ? matchAt(body.slice(10)) : null;
    case 78: // N
      return body.startsWith('NMI watchdog: ') ? matchAt(body.slice(14)) : null;
    case 114: // r
      return body.startsWith('rcu: ') ? matchAt(body.slice(5)) : null;
    case 73: // I
      if (body.startsWith('INFO: ')) return infoHeader(body.slice(6));
      if (body.startsWith('Internal error: ')) return internalError(body.slice(16));
      if (body.startsWith('Insufficient stack space to handle exception')) {
        return hit('stack-corruption', 'kernel stack overflow', 'stall');
      }
      return null;
    case 91: // [  — older lockdep: `[ INFO: possible circular locking dependency detected ]`
      if (body.startsWith('[ ') && body.trimEnd().endsWith(' ]')) {
        const inner = body.trimEnd().slice(2, -2).trim();
        if (inner.startsWith('INFO: ') || inner.startsWith('BUG: ') || inner.startsWith('WARNING: ')) {
          return matchAt(inner);
        }
      }
      return null;
    case 75: // K
      return body.startsWith('Kernel panic - not syncing: ') ? panicHeader(body.slice(28)) : null;
    case 107: // k
      if (body.startsWith('kernel BUG at ')) {
        const file = body.slice(14, body.indexOf(':', 14));
        if (file.endsWith('lib/list_debug.c')) return hit('bug', 'BUG: corrupted list', 'stack');
        return hit('bug', 'kernel BUG', 'stack');
      }
      if (body.startsWith('kernel stack overflow')) return hit('stack-corruption', 'kernel stack overflow', 'stall');
      return null;
    case 103: // g
      if (body.startsWith('general protection fault') && body.includes('[#') && !body.includes(' ip:')) {
        return hit('general-protection', 'general protection fault', 'stack');
      }
      return null;
    case 85: // U
      if (body.startsWith('UBSAN: ')) {
        const { type } = typeAndFrame(body.slice(7));
        const t = type.toLowerCase() === 'undefined behaviour' ? 'undefined-behaviour' : type.replace(/\s+/g, '-');
        return hit('ubsan', `UBSAN: ${t}`, 'stack', { fenced: true });
      }
      if (body.startsWith('Unable to handle kernel ')) {
        if (body.startsWith('Unable to handle kernel NULL pointer dereference')) {
          return hit('null-deref', 'BUG: unable to handle kernel NULL pointer dereference', 'stack');
        }
        return hit('paging-fault', 'BUG: unable to handle kernel paging request', 'stack');
      }
      if (body.startsWith('Unhandled fault: ')) {
        return hit('paging-fault', 'Unhandled fault', 'stack', { secondary: true, needsOops: true });
      }
      return null;
    case 100: // d
      if ((body.startsWith('divide error: ') || body.startsWith('divide_error: ')) && body.includes('[#')) {
        return hit('divide-error', 'divide error', 'stack');
      }
      return null;
    case 80: // P
      if (body.startsWith('PANIC: double fault')) return hit('double-fault', 'PANIC: double fault', 'stack');
      return null;
    case 105: // i
      if (body.startsWith('invalid opcode: ') && body.includes('[#')) {
        return hit('invalid-opcode', 'invalid opcode', 'stack', { secondary: true });
      }
      return null;
    case 79: // O  — `Oops: 0000 [#1]` after a BUG line; 6.x also prefixes `Oops: ` to trap names.
      if (body.startsWith('Oops: ')) {
        const inner = matchAt(body.slice(6));
        if (inner) return inner;
        if (body.includes('[#')) return hit('unknown', 'Oops', 'stack', { secondary: true });
      }
      return null;
    case 65: // A
      if (body.startsWith('Alignment trap: not handling instruction')) {
        return hit('unknown', 'Alignment trap', 'stack', { secondary: true, needsOops: true });
      }
      return null;
    case 86: // V
      if (body.startsWith('VFS: Busy inodes after unmount')) {
        return hit('bug', 'VFS: Busy inodes after unmount (use-after-free)', 'none');
      }
      return null;
    case 83: // S
      if (body.startsWith('SYZFAIL: ')) return hit('unknown', `SYZFAIL: ${normalizeMessage(body.slice(9))}`, 'none');
      return null;
    case 116: // t
      if (body.startsWith('traps: PANIC: double fault')) return hit('double-fault', 'PANIC: double fault', 'stack');
      return null;
    case 117: // u
      // `unregister_netdevice: waiting for lo to become free. Usage count = 2`: a leaked reference hangs netns teardown.
      if (body.startsWith('unregister_netdevice: waiting for ')) {
        return hit('hung-task', 'unregister_netdevice: waiting for DEV to become free', 'none');
      }
      if (body.startsWith('unreferenced object 0x')) {
        return hit('memory-leak', 'memory leak', 'leak', { secondary: true });
      }
      return null;
    default:
      return null;
  }
}
