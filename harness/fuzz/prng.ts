import { createHash } from 'node:crypto';

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same numbers on every
 * machine and Node version, so a fuzz run's seed value makes it reproducible.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator of mutant `index` of a run seeded with `seed`: each mutant stands alone, so a resumed run makes the same ones. */
  static forMutant(seed: number, index: number): Prng {
    const h = createHash('sha256').update(`${seed}:${index}`).digest();
    return new Prng(h.readUInt32LE(0));
  }

  /** A number in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('pick from an empty list');
    return xs[this.int(xs.length)]!;
  }

  /** An item drawn with the given weights (all > 0). */
  weighted<T>(xs: readonly { item: T; weight: number }[]): T {
    const total = xs.reduce((s, x) => s + x.weight, 0);
    let r = this.next() * total;
    for (const x of xs) {
      r -= x.weight;
      if (r < 0) return x.item;
    }
    return xs[xs.length - 1]!.item;
  }
}
