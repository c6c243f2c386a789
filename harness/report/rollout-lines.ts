import type { RolloutResult } from '../results/rollout-schema.js';
import { printable } from '../util/printable.js';
import { plural } from '../util/text.js';

const STATUS: Record<string, string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', 'not-reached': '-' };

/**
 * A rollout for people: per content version, each ring with its machines and what the gate said,
 * then how many machines received the content and how many the stop held back. Gate reasons may
 * quote a guest's crash title: shown through printable().
 */
export function rolloutLines(r: RolloutResult): string[] {
  const out: string[] = [];
  for (const c of r.contents) {
    out.push(`content ${c.content}: ${c.outcome}${c.stoppedAt ? ` at ring ${c.stoppedAt}` : ''}`);
    for (const ring of c.rings) {
      out.push(`  ${ring.name.padEnd(12)} ${STATUS[ring.status]!.padEnd(5)} ${plural(ring.machines, 'machine').padStart(16)}  ${ring.images.map((i) => i.name).join(', ')}${ring.reason ? `: ${printable(ring.reason)}` : ''}`);
    }
    out.push(`  blast radius ${plural(c.blastRadius, 'machine')} of ${r.fleet}; ${plural(c.spared, 'machine')} spared by the stop`);
  }
  out.push(`rollout verdict ${r.verdict.toUpperCase()} (exit ${r.exitCode})`);
  return out;
}
