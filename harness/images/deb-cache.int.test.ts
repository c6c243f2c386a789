import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AptState, freshAptState } from './apt-state.js';
import { cachedDebDownload } from './deb-cache.js';
import { sha256File } from '../util/fsutil.js';
import { cacheRoot } from '../util/paths.js';

/** The lab's bullseye state with every download sent to a closed port: only the cache can answer. */
class Offline extends AptState {
  override options(): string[] {
    return [...super.options(), '-o', 'Acquire::http::Proxy=http://127.0.0.1:9', '-o', 'Acquire::Retries=0'];
  }
}

const tmp = mkdtemp(join(tmpdir(), 'bootgate-debcache-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

describe('the shared .deb cache by sha256', () => {
  it('fetches once, then serves offline; a damaged copy is fetched again', async () => {
    const root = await tmp;
    const cache = join(root, 'debs');
    const online = await freshAptState(cacheRoot(), 'bullseye', 'amd64');
    const offline = new Offline(online.dir, online.suite, online.arch);
    const [first] = await cachedDebDownload(['zlib1g'], join(root, 'a'), { cacheDir: cache, apt: online });
    const sha = await sha256File(first!);
    expect(await readdir(cache)).toEqual([`${sha}.deb`]);

    const [second] = await cachedDebDownload(['zlib1g'], join(root, 'b'), { cacheDir: cache, apt: offline });
    expect(await sha256File(second!)).toBe(sha);
    // Offline, a package the cache lacks cannot be had: the offline state really reaches nothing.
    await expect(cachedDebDownload(['busybox-static'], join(root, 'c'), { cacheDir: cache, apt: offline })).rejects.toThrow();

    await writeFile(join(cache, `${sha}.deb`), 'damaged');
    const [third] = await cachedDebDownload(['zlib1g'], join(root, 'd'), { cacheDir: cache, apt: online });
    expect(await sha256File(third!)).toBe(sha);
    expect(await sha256File(join(cache, `${sha}.deb`))).toBe(sha);

    // apt prints lsb-base first whatever the order asked: a cached zlib1g beside a new lsb-base
    // is still told apart, and the files come back in the order asked.
    const pair = await cachedDebDownload(['zlib1g', 'lsb-base'], join(root, 'e'), { cacheDir: cache, apt: online });
    expect(pair.map((f) => f.split('/').at(-1)!.split('_')[0])).toEqual(['zlib1g', 'lsb-base']);
    expect(await sha256File(pair[0]!)).toBe(sha);
    expect((await readdir(cache)).length).toBe(2);
  }, 180_000);
});
