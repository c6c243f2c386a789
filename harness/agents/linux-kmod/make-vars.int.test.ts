import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { execCapture } from '../../util/exec.js';
import { buildKmod } from './build.js';
import { currentDebianKernelRelease, fetchKernelHeaders } from './headers.js';
import { readModinfo } from './modinfo.js';

/**
 * Real builds of the reference sensor with and without make variables: the version it reports
 * comes from SENSOR_VERSION, and SENSOR_EXTRA_NS compiles in the per-exec busy wait (or not).
 * Headers as in build.int.test.ts (downloaded once, cached).
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sensorSrc = join(repo, 'examples/agents/sensor-kmod');
const cacheDir = join(process.env.BOOTGATE_CACHE_DIR ?? join(tmpdir(), 'bootgate-cache'), 'kernel-headers');
const tools = (await execCapture('sh', ['-c', 'command -v apt-get && command -v dpkg-deb && command -v make && command -v gcc-12 && command -v nm'])).code === 0;

describe.skipIf(!tools)('sensor build variants (integration: kbuild with make variables)', () => {
  let work: string;
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('2.1.0 by default; 2.2.0-slow with its extra cost per exec when the make variables say so', async () => {
    const release = await currentDebianKernelRelease();
    const headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir });
    work = await mkdtemp(join(tmpdir(), 'bootgate-int-makevars-'));

    const plain = await buildKmod({ sourceDir: sensorSrc, kernelRelease: release, headersDir, outDir: join(work, 'plain') });
    const slow = await buildKmod({ sourceDir: sensorSrc, kernelRelease: release, headersDir, outDir: join(work, 'slow'), makeVars: { SENSOR_VERSION: '2.2.0-slow', SENSOR_EXTRA_NS: '50000' } });
    expect(plain.warnings).toEqual([]);
    expect(slow.warnings).toEqual([]);
    expect(readModinfo(await readFile(plain.koPath)).version).toEqual(['2.1.0']);
    expect(readModinfo(await readFile(slow.koPath)).version).toEqual(['2.2.0-slow']);
    // The version parameter's initial value is the string in .data: the reported version.
    expect((await readFile(slow.koPath)).includes(Buffer.from('2.2.0-slow\0'))).toBe(true);
    // The busy wait exists only in the slow build (the default build compiles it away).
    const syms = async (ko: string) => (await execCapture('nm', [ko])).stdout;
    expect(await syms(plain.koPath)).not.toMatch(/sensor_extra_cost/);
    expect(await syms(slow.koPath)).toMatch(/sensor_extra_cost/);
    // The deliberate bug is still there in both: the parser is unchanged.
    for (const ko of [plain.koPath, slow.koPath]) expect(await syms(ko)).toMatch(/ sensor_parse_channel$/m);
  });

  it('a value the Kbuild refuses fails the build as a ConfigError naming the variables', async () => {
    const release = await currentDebianKernelRelease();
    const headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir });
    const err = await buildKmod({ sourceDir: sensorSrc, kernelRelease: release, headersDir, outDir: join(work, 'bad'), makeVars: { SENSOR_EXTRA_NS: '-5' } }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('KMOD_BUILD_FAILED');
    expect((err as Error).message).toMatch(/with SENSOR_EXTRA_NS=-5 against/);
    expect((err as Error).message).toMatch(/SENSOR_EXTRA_NS must be 0\.\.100000000/);
  });
});
