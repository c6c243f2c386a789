import type { Recipe } from './recipe.js';

/**
 * Which images a suite's `images:` entry names. An entry is:
 * - a name: `debian-6.1-generic`;
 * - a glob over `os/name` or name: `linux/*`, `debian-6.12-*`;
 * - one or more conditions joined by `,`: `kernel>=6.12`, `kernel=6.1`, `flavour=rt`,
 *   `userland=disk`, `tag=systemd`, `os=linux`, `distro=debian-13`, `arch=amd64` (a condition may
 *   also be written `flavour: rt`).
 * Pure: recipes in, names out, in catalog order.
 */
export function selectImages(entry: string, recipes: Recipe[]): string[] {
  const e = entry.trim();
  if (/[<>=:]/.test(e) && !e.includes('/')) return recipes.filter((r) => e.split(',').every((c) => condition(c.trim(), r))).map((r) => r.name);
  if (e.includes('*') || e.includes('?') || e.includes('/')) {
    const re = globToRegExp(e);
    return recipes.filter((r) => re.test(`${r.os}/${r.name}`) || re.test(r.name)).map((r) => r.name);
  }
  return recipes.filter((r) => r.name === e).map((r) => r.name);
}

export class SelectorError extends Error {}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function compareSeries(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function condition(c: string, r: Recipe): boolean {
  const m = /^(kernel|flavour|flavor|userland|tag|os|distro|arch)\s*(>=|<=|!=|=|:|>|<)\s*(.+)$/.exec(c);
  if (!m) throw new SelectorError(`cannot read image condition "${c}" (use e.g. kernel>=6.12, flavour=rt, distro=debian-13, arch=amd64, tag=systemd)`);
  const [, key, op0, value] = m as unknown as [string, string, string, string];
  const op = op0 === ':' ? '=' : op0;
  const eq = (x: string | undefined) => (op === '!=' ? x !== value : op === '=' ? x === value : undefined);
  switch (key) {
    case 'kernel': {
      const s = r.kernel?.series;
      if (!s) return false;
      const d = compareSeries(s, value);
      return { '=': d === 0, '!=': d !== 0, '>=': d >= 0, '<=': d <= 0, '>': d > 0, '<': d < 0 }[op] ?? false;
    }
    case 'flavour':
    case 'flavor':
      return eq(r.kernel?.flavour) ?? false;
    case 'userland':
      return eq(r.userland) ?? false;
    case 'os':
      return eq(r.os) ?? false;
    case 'distro':
      return eq(r.distro) ?? false;
    case 'arch':
      return eq(r.arch) ?? false;
    case 'tag':
      return op === '!=' ? !r.tags.includes(value) : r.tags.includes(value);
    default:
      return false;
  }
}
