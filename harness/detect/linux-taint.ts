/**
 * Kernel taint from a report's `CPU: 0 PID: 1 Comm: insmod Tainted: G           OE      6.1.0 ...`
 * line. The kernel prints one column per taint flag: a letter when set, a space when not,
 * and `G` (all modules GPL) or `P` (a proprietary module is loaded) in the first column.
 *
 * Result: the set letters without the `G` placeholder, e.g. `OE` (out-of-tree, unsigned
 * module), `PO`, `BW`; `''` for `Not tainted`; undefined when the line says neither.
 */
export function parseTaint(body: string): string | undefined {
  const k = body.indexOf('Tainted: ');
  if (k < 0) return body.includes('Not tainted') ? '' : undefined;
  let i = k + 9;
  let flags = '';
  // The flag columns: capital letters and spaces, up to the kernel release (or `)` in SLUB reports).
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 32) continue;
    if (c >= 65 && c <= 90) {
      // A capital followed by a non-flag character starts the release string, not a flag.
      const n = body.charCodeAt(i + 1);
      if (n !== 32 && n !== 41 /* ) */ && !(n >= 65 && n <= 90) && i + 1 < body.length) break;
      flags += body[i];
      continue;
    }
    break;
  }
  if (flags.startsWith('G')) flags = flags.slice(1);
  return flags;
}
