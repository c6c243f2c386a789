/**
 * WARNING-family headers, as the kernel prints them: a WARN() (kernel/panic.c __warn(): `WARNING:
 * CPU: N PID: N at file:line func+off/size [module]`; 6.x also `WARNING: file:line at func+off,
 * CPU#N: comm/pid`; 2.6 `WARNING: at file:line func()`), the lockdep and RCU-lockdep reports
 * (kernel/locking/lockdep.c: a framed `WARNING: <what> detected` line, then the locks and a
 * stack), and a bare `WARNING: text`, which is a report only with a context dump after it.
 * The subsystem of a WARN() site names the report as syzkaller's titles do: lib/refcount.c is a
 * refcount bug, lib/debugobjects.c an ODEBUG bug, lib/list_debug.c a corrupted list,
 * kernel/locking/lockdep.c a locking bug, fs/proc/generic.c a proc registration bug, a zero
 * size to vmalloc/kmalloc an allocation bug.
 */
import { findFrame, frameOf } from './linux-frames.js';
import { type HeaderHit, hit, withFrame } from './linux-header-hit.js';
import { normalizeMessage } from './linux-title.js';

/** Lockdep and RCU-lockdep report titles, after `WARNING: `, `INFO: ` or `BUG: `. */
export function lockdepHeader(rest: string, prefix: string): HeaderHit | null {
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
export function warnHeader(body: string): HeaderHit {
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
export function bareWarning(rest: string): HeaderHit | null {
  const cut = /^(.*?)(?:[:,(\[]| at | on CPU|$)/.exec(rest);
  const msg = normalizeMessage(cut?.[1] ?? rest);
  if (msg === '') return null;
  return hit('warning', `WARNING: ${msg}`, 'none', { generic: true, needsDump: true });
}
