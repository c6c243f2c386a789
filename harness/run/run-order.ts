import type { CellPlan } from '../config/matrix.js';

/**
 * The order cells start in when images share baselines: one cell of each image in turn, so that
 * the first cells to start boot different images' baselines side by side instead of all waiting
 * on one. Within an image the matrix order stays. Results keep the matrix order whatever this is.
 */
export function interleaveByImage(plans: readonly CellPlan[]): CellPlan[] {
  const byImage = new Map<string, CellPlan[]>();
  for (const p of plans) {
    const list = byImage.get(p.image);
    if (list) list.push(p);
    else byImage.set(p.image, [p]);
  }
  const queues = [...byImage.values()];
  const out: CellPlan[] = [];
  for (let i = 0; out.length < plans.length; i++) for (const q of queues) if (i < q.length) out.push(q[i]!);
  return out;
}
