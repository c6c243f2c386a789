import type Docker from 'dockerode';
import { LABEL, ownerState } from './labels.js';
import { bootId, ownerAlive } from './owner.js';
import { hostname } from 'node:os';

export interface Reaped {
  /** Containers removed: their name and run. */
  removed: { name: string; run: string }[];
  /** Containers that could not be removed, with why. */
  problems: string[];
}

/**
 * Remove bootgate containers whose harness is gone: labelled bootgate=1 by this host, from an
 * earlier boot of it or from a process that no longer runs. Containers of a live harness (this one
 * or another) and of other hosts are never touched.
 */
export async function reapContainers(docker: Docker): Promise<Reaped> {
  const here = { host: hostname(), bootId: await bootId() };
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.marker}=1`] } });
  const out: Reaped = { removed: [], problems: [] };
  for (const c of list) {
    const labels = c.Labels ?? {};
    const pid = Number(labels[LABEL.pid]);
    const live = Number.isInteger(pid) && pid > 0 && (await ownerAlive(pid, labels[LABEL.pidStart] ?? ''));
    if (ownerState(labels, here, () => live) !== 'gone') continue;
    const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
    try {
      await docker.getContainer(c.Id).remove({ force: true });
      out.removed.push({ name, run: labels[LABEL.run] ?? '?' });
    } catch (e) {
      // Removed meanwhile (by its own harness's last dispose, or another reaper): nothing left to do.
      if ((e as { statusCode?: number }).statusCode !== 404) out.problems.push(`container ${name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** One line for a user; undefined when nothing was found. */
export function describeReaped(r: Reaped): string | undefined {
  if (!r.removed.length && !r.problems.length) return undefined;
  const runs = [...new Set(r.removed.map((x) => x.run))];
  return `leftover containers of runs whose harness died (${runs.join(', ') || 'none removed'}): ${r.removed.length} removed${r.problems.length ? `; not removed: ${r.problems.join('; ')}` : ''}`;
}
