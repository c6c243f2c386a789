/**
 * Packages of the same kind as one that is gone: linux-image-5.10.0-30-amd64 and
 * linux-image-5.10.0-46-amd64 differ only in their numbers. Pure: names in, names out.
 */

/** The name with every run of digits after the kernel series free: a RegExp for its siblings. */
export function siblingPattern(pkg: string): RegExp {
  const name = pkg.split('=')[0]!;
  const series = /\d+\.\d+/.exec(name);
  const cut = series ? series.index + series[0].length : 0;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tail = name.slice(cut).split(/\d+/).map(esc).join('\\d+');
  return new RegExp(`^${esc(name.slice(0, cut))}${tail}$`);
}

/** Digit runs compared as numbers, the rest as text: 5.10.0-46 after 5.10.0-9. */
export function compareNumbered(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const d = i % 2 === 1 && x !== '' && y !== '' ? Number(x) - Number(y) : x < y ? -1 : 1;
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest of `names` of the same kind as `pkg` (itself excluded), or undefined. */
export function newestSibling(pkg: string, names: readonly string[]): string | undefined {
  const re = siblingPattern(pkg);
  const self = pkg.split('=')[0];
  return names.filter((n) => n !== self && re.test(n)).sort(compareNumbered).at(-1);
}
