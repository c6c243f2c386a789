import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKmod } from './build.js';
import { fetchKernelHeaders, headersCachePaths } from './headers.js';
import { containerMake } from './kbuild-container.js';
import { freshAptState } from '../../images/apt-state.js';
import { concreteKernelPackage } from '../../images/debs.js';
import { cacheRoot, projectRoot } from '../../util/paths.js';

// The reference sensor for Debian 11's current 5.10 kernel: headers from bullseye through the
// lab's apt state (fetched once), make in a bullseye container with gcc-10 (the host has gcc-12
// only) at every run. Needs dockerd; the container image is built once (about 2 minutes).
const out = mkdtemp(join(tmpdir(), 'bootgate-kbuild-int-'));
afterAll(async () => rm(await out, { recursive: true, force: true }));

describe('a module for a kernel of another Debian suite', () => {
  it("builds in a container of that suite and carries that kernel's vermagic", async () => {
    const apt = await freshAptState(cacheRoot(), 'bullseye', 'amd64');
    const release = (await concreteKernelPackage('linux-image-amd64', undefined, apt)).replace('linux-image-', '');
    const headersCache = join(cacheRoot(), 'headers');
    const headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir: headersCache, apt });
    const r = await buildKmod({
      sourceDir: join(projectRoot(), 'examples/agents/sensor-kmod'),
      kernelRelease: release,
      headersDir,
      outDir: await out,
      moduleName: 'sensor',
      runMake: containerMake({ suite: 'bullseye', headersRoot: headersCachePaths(headersCache, release).dir }),
    });
    expect(r.vermagic).toMatch(new RegExp(`^${release.replace(/[.+]/g, '\\$&')} SMP mod_unload modversions`));
    // gcc-10, what bullseye's kernel was built with: the container's compiler, not the host's gcc-12.
    expect(await readFile(r.koPath, 'latin1')).toMatch(/GCC: \(Debian 10\./);
  }, 900_000);
});
