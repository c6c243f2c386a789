/**
 * A unified diff of two texts by line (longest common subsequence), with `context` lines around
 * each change: what a developer reads to see how a crashing content differs from its seed.
 */
export function lineDiff(a: string, b: string, names: { from: string; to: string }, context = 2): string {
  const x = a.split('\n');
  const y = b.split('\n');
  // LCS table; contents are small (the agent reads at most a few MiB, mutants stay near their seed).
  const m = x.length;
  const n = y.length;
  const dp: Uint32Array[] = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--) for (let j = n - 1; j >= 0; j--) dp[i]![j] = x[i] === y[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const ops: { op: ' ' | '-' | '+'; text: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < m || j < n) {
    if (i < m && j < n && x[i] === y[j]) ops.push({ op: ' ', text: x[i]!, ai: i++, bi: j++ });
    else if (j < n && (i >= m || dp[i]![j + 1]! > dp[i + 1]![j]!)) ops.push({ op: '+', text: y[j]!, ai: i, bi: j++ });
    else ops.push({ op: '-', text: x[i]!, ai: i++, bi: j });
  }
  const out = [`--- ${names.from}`, `+++ ${names.to}`];
  for (let k = 0; k < ops.length; ) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    let start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2*context of each other.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ' && next - end < 2 * context) next++;
      if (next < ops.length && ops[next]!.op !== ' ' && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const h = ops.slice(start, stop);
    const aCount = h.filter((o) => o.op !== '+').length;
    const bCount = h.filter((o) => o.op !== '-').length;
    out.push(`@@ -${h[0]!.ai + 1},${aCount} +${h[0]!.bi + 1},${bCount} @@`);
    for (const o of h) out.push(`${o.op}${o.text}`);
    start = stop;
    k = stop;
  }
  return out.join('\n') + '\n';
}
