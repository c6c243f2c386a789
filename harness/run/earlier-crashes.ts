import { foldBugcheck, sameBugcheck } from '../detect/windows/bugcheck-merge.js';
import type { CrashRecord } from '../results/crash-record.js';
import type { CycleResult } from '../results/schema.js';

/**
 * Crashes a guest recorded of its earlier boots (Windows: event log and dumps, read once a boot is
 * up again) put on the boots they belong to, among `cycles` (the cell's boots so far, oldest first):
 * the boots since the last one that came up, and that one (a crash on its way down). A crash
 * already on any boot (hv-crash's GUEST_PANICKED, or read after an earlier boot) is the same
 * bugcheck when code and parameters agree: the witnesses are folded, never counted twice. Otherwise it takes the place of the first
 * of those boots that failed without a bugcheck record (a reset or a timeout: what was seen
 * without hv-crash), else the last boot that came up, if it has no crash. Returns the records
 * that found no boot. Changes the cycles in place.
 */
export function attributeEarlierCrashes(cycles: CycleResult[], earlier: readonly CrashRecord[]): CrashRecord[] {
  const lastUp = cycles.findLastIndex((c) => c.booted);
  const window = cycles.slice(Math.max(0, lastUp));
  const left: CrashRecord[] = [];
  for (const r of earlier) {
    // Kernel-Power 41 is written during the boot after the crash: asked again a boot later, it is still there.
    const same = cycles.find((c) => c.crash && sameBugcheck(c.crash, r));
    if (same) {
      same.crash = foldBugcheck(same.crash!, r);
      continue;
    }
    const unexplained = window.find((c) => !c.booted && c.crash?.class !== 'bugcheck');
    if (unexplained) {
      const seen = unexplained.crash ? `while it happened: ${unexplained.crash.title}\n` : '';
      unexplained.crash = { ...r, excerpt: `${seen}${r.excerpt ?? ''}`.trim() || undefined };
      if (unexplained.outcome === 'timeout') unexplained.outcome = 'crash';
      continue;
    }
    const up = lastUp >= 0 ? cycles[lastUp]! : undefined;
    if (up && !up.crash) up.crash = r;
    else left.push(r);
  }
  return left;
}
