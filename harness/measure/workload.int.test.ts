import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execCapture } from '../util/exec.js';
import { buildWorkload, parseWorkloadTap } from './workload.js';

/** A real static build of images/guest-programs/workload.c with the host's gcc, run on the host. */
const haveGcc = (await execCapture('sh', ['-c', 'command -v gcc && test -f /usr/lib/x86_64-linux-gnu/libc.a'])).code === 0;

describe.skipIf(!haveGcc)('bootgate-workload (integration: gcc -static, run on the host)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('compiles once, then comes from the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bootgate-wl-int-'));
    dirs.push(cacheDir);
    const bin = await buildWorkload({ cacheDir });
    expect(bin).toMatch(new RegExp(`^${cacheDir}/workload/[0-9a-f]{16}/bootgate-workload$`));
    const file = await execCapture('file', [bin]).catch(() => undefined);
    if (file?.code === 0) expect(file.stdout).toMatch(/statically linked/);
    const mtime = (await stat(bin)).mtimeMs;
    const t0 = Date.now();
    expect(await buildWorkload({ cacheDir })).toBe(bin);
    expect(Date.now() - t0).toBeLessThan(500);
    expect((await stat(bin)).mtimeMs).toBe(mtime);

    // Every workload runs and its TAP parses: B samples each.
    const work = await mkdtemp(join(tmpdir(), 'bootgate-wl-dir-'));
    dirs.push(work);
    const r = await execCapture(bin, ['--iterations', '5', '--batches', '3', '--dir', work, 'exec', 'open', 'fsync', 'tcp']);
    expect(r.code).toBe(0);
    const m = parseWorkloadTap(r.stdout);
    expect([...m.keys()]).toEqual(['exec', 'open', 'fsync', 'tcp']);
    for (const xs of m.values()) {
      expect(xs).toHaveLength(3);
      for (const x of xs) expect(x).toBeGreaterThan(0);
    }

    // A workload that cannot run is not ok with a message, exit 1; the others still run.
    const bad = await execCapture(bin, ['--iterations', '2', '--batches', '2', '--exec-path', '/nonexistent/true', 'exec', 'open']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^not ok 1 - exec$/m);
    expect(bad.stdout).toMatch(/^ok 2 - open$/m);
    expect(() => parseWorkloadTap(bad.stdout)).toThrow(/exec: cannot execute \/nonexistent\/true/);

    // Usage errors: exit 2 and a bail out.
    const usage = await execCapture(bin, ['nap']);
    expect(usage.code).toBe(2);
    expect(() => parseWorkloadTap(usage.stdout)).toThrow(/bailed out: usage: unknown workload nap/);
  });
});
