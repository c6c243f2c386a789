/**
 * The smallest subset of `items` for which `fails` still holds (ddmin, Zeller and Hildebrandt's
 * delta debugging): chunks are dropped while the rest still fails, the chunks halved when none can
 * be. Each call of `fails` is one probe (for the fuzzer: a content load in the guest); `fails(items)`
 * is taken as true. The result is 1-minimal: dropping any one item makes it pass.
 */
export async function ddmin<T>(items: readonly T[], fails: (subset: T[]) => Promise<boolean>, o: { maxProbes?: number } = {}): Promise<{ items: T[]; probes: number }> {
  let cur = [...items];
  let n = 2;
  let probes = 0;
  const budget = o.maxProbes ?? Infinity;
  const probe = async (s: T[]) => {
    probes++;
    return fails(s);
  };
  if (cur.length === 1) return { items: cur, probes };
  while (cur.length >= 2 && probes < budget) {
    const size = Math.ceil(cur.length / n);
    const chunks: T[][] = [];
    for (let i = 0; i < cur.length; i += size) chunks.push(cur.slice(i, i + size));
    let reduced = false;
    // A chunk alone first (a big step), then every complement.
    for (const c of chunks) {
      if (probes >= budget) break;
      if (c.length < cur.length && (await probe(c))) {
        cur = c;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (let i = 0; i < chunks.length && probes < budget; i++) {
        const rest = chunks.filter((_, j) => j !== i).flat();
        if (await probe(rest)) {
          cur = rest;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return { items: cur, probes };
}
