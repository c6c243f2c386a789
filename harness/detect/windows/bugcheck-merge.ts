/**
 * One bugcheck is seen by up to four witnesses: QMP's GUEST_PANICKED (hv-crash) while it happens,
 * Kernel-Power 41 and WER 1001 in the next boot's event log, and the dump header. They carry the
 * same STOP code and four parameters (the parameters differ from one crash to the next: KASLR), so
 * that pair is the bugcheck's identity here, and the witnesses of one are folded into one record.
 */
import type { CrashRecord } from '../../results/crash-record.js';

/** Which witness names the bugcheck best: a dump and 1001 may name the driver; hv-crash never does. */
const RANK: Record<string, number> = { dump: 3, 'event-log': 2, 'hyperv-crash': 1 };

/** Same STOP code, and the same four parameters when both records have them. */
export function sameBugcheck(a: CrashRecord, b: CrashRecord): boolean {
  if (a.class !== 'bugcheck' || b.class !== 'bugcheck' || a.code === undefined || a.code !== b.code) return false;
  if (!a.params?.length || !b.params?.length) return true;
  return a.params.length === b.params.length && a.params.every((p, i) => p === b.params![i]);
}

const SEEN = /\n?seen in: [^\n]*$/;

/** The witnesses a record stands for, from its `seen in:` line, or its own source. */
export function witnessesOf(r: CrashRecord): string[] {
  const m = SEEN.exec(r.excerpt ?? '');
  return m ? m[0].replace(/^\n?seen in: /, '').split(', ') : [r.source];
}

/** Two witnesses of one bugcheck as one record: the better named one, listing every witness. */
export function foldBugcheck(a: CrashRecord, b: CrashRecord): CrashRecord {
  const [best, other] = (RANK[b.source] ?? 0) + (b.module ? 10 : 0) > (RANK[a.source] ?? 0) + (a.module ? 10 : 0) ? [b, a] : [a, b];
  const seen = [...new Set([...witnessesOf(best), ...witnessesOf(other)])];
  const text = (best.excerpt ?? '').replace(SEEN, '');
  return { ...best, ...(best.params?.length ? {} : other.params ? { params: other.params } : {}), excerpt: `${text ? `${text}\n` : ''}seen in: ${seen.join(', ')}` };
}

/** Bugcheck records with each bugcheck once, in the order each was first seen; other records as they are. */
export function mergeBugchecks(records: readonly CrashRecord[]): CrashRecord[] {
  const out: CrashRecord[] = [];
  for (const r of records) {
    const i = out.findIndex((o) => sameBugcheck(o, r));
    if (i < 0) out.push(r);
    else out[i] = foldBugcheck(out[i]!, r);
  }
  return out;
}
