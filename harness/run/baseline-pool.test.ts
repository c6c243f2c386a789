import { describe, expect, it } from 'vitest';
import type { BuiltImage } from '../images/catalog.js';
import type { RunStore } from '../results/run-store.js';
import { BaselinePool, type BaselinePoolOptions, type SharedBaseline } from './baseline-pool.js';

const image = (name: string) => ({ manifest: { name } }) as unknown as BuiltImage;

/** The pool's choice of baseline, with the boots replaced by a script of results. */
class ScriptedPool extends BaselinePool {
  readonly made: string[] = [];
  constructor(private readonly fails: Set<string>) {
    super({ store: { current: { baselines: [] } } as unknown as RunStore } as BaselinePoolOptions);
  }
  protected override async make(img: BuiltImage, attempt: number): Promise<SharedBaseline> {
    const key = `${img.manifest.name}@${attempt}`;
    this.made.push(key);
    await new Promise((r) => setTimeout(r, 5));
    const error = this.fails.has(key) ? 'baseline boot 1 without the agent failed (timeout)' : undefined;
    return { result: { id: key, image: img.manifest.name, attempt, cycles: [], ...(error ? { error } : {}) } };
  }
}

describe('BaselinePool: one baseline per image, booted again only for the retry of a failed one', () => {
  it('boots an image\'s baseline once for every cell that asks, at once or later', async () => {
    const pool = new ScriptedPool(new Set());
    const got = await Promise.all([pool.get(image('a'), 1), pool.get(image('a'), 1), pool.get(image('b'), 1)]);
    expect(got.map((g) => g.result.id)).toEqual(['a@1', 'a@1', 'b@1']);
    expect((await pool.get(image('a'), 1)).result.id).toBe('a@1');
    expect(pool.made).toEqual(['a@1', 'b@1']);
  });

  it('gives a retried cell the same baseline when it was good', async () => {
    const pool = new ScriptedPool(new Set());
    await pool.get(image('a'), 1);
    expect((await pool.get(image('a'), 2)).result.id).toBe('a@1');
    expect(pool.made).toEqual(['a@1']);
  });

  it('boots a failed baseline again for the retry, once for all the cells retried', async () => {
    const pool = new ScriptedPool(new Set(['a@1']));
    expect((await pool.get(image('a'), 1)).result.error).toMatch(/failed/);
    const retried = await Promise.all([pool.get(image('a'), 2), pool.get(image('a'), 2)]);
    expect(retried.map((r) => r.result.id)).toEqual(['a@2', 'a@2']);
    expect(pool.made).toEqual(['a@1', 'a@2']);
  });
});
