import { access, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../util/errors.js';
import { execCapture } from '../../util/exec.js';
import { buildKmod } from './build.js';
import { currentDebianKernelRelease, fetchKernelHeaders, headersCachePaths } from './headers.js';
import { readModinfo } from './modinfo.js';

/**
 * Real download of Debian's current 6.1 headers (about 14 MB, cached across runs in
 * $BOOTGATE_CACHE_DIR or the system temp dir) and a real build of the reference sensor agent.
 */

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sensorSrc = join(repo, 'examples/agents/sensor-kmod');
const cacheDir = join(process.env.BOOTGATE_CACHE_DIR ?? join(tmpdir(), 'bootgate-cache'), 'kernel-headers');

async function haveTools(): Promise<boolean> {
  const r = await execCapture('sh', ['-c', 'command -v apt-get && command -v apt-cache && command -v dpkg-deb && command -v make && command -v gcc-12']);
  return r.code === 0;
}
const tools = await haveTools();

describe.skipIf(!tools)('linux-kmod build (integration: apt + kbuild)', () => {
  let release: string;
  let headersDir: string;
  let work: string;

  beforeAll(async () => {
    release = await currentDebianKernelRelease();
    work = await mkdtemp(join(tmpdir(), 'bootgate-int-kmod-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('fetches the headers of the current bookworm kernel, then reuses them', async () => {
    expect(release).toMatch(/^6\.1\.0-\d+-amd64$/);
    headersDir = await fetchKernelHeaders({ kernelRelease: release, cacheDir });
    expect(headersDir).toBe(headersCachePaths(cacheDir, release).buildDir);
    await access(join(headersDir, 'scripts/mod/modpost'));
    const marker = JSON.parse(await readFile(headersCachePaths(cacheDir, release).marker, 'utf8'));
    expect(marker.kernelRelease).toBe(release);
    expect(marker.packages).toHaveLength(3);
    const makefile = await readFile(join(headersDir, 'Makefile'), 'utf8');
    expect(makefile).not.toMatch(/include \/usr/);

    const t0 = Date.now();
    expect(await fetchKernelHeaders({ kernelRelease: release, cacheDir })).toBe(headersDir);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('builds sensor.ko cleanly with a vermagic of that release', async () => {
    const outDir = join(work, 'out');
    const r = await buildKmod({ sourceDir: sensorSrc, kernelRelease: release, headersDir, outDir });
    expect(r.koPath).toBe(join(outDir, 'sensor.ko'));
    await access(r.koPath);
    expect(r.vermagic.startsWith(`${release} `)).toBe(true);
    expect(r.warnings).toEqual([]);

    const info = readModinfo(await readFile(r.koPath));
    expect(info.name).toEqual(['sensor']);
    expect(info.version).toEqual(['2.1.0']);
    expect(info.license).toEqual(['GPL']);
    expect((info.parm ?? []).map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['content', 'version', 'content_version', 'execs', 'matches']),
    );
    // The host's modinfo agrees with the .modinfo reader.
    const m = await execCapture('modinfo', ['-F', 'vermagic', r.koPath]).catch(() => undefined);
    if (m?.code === 0) expect(m.stdout.trim()).toBe(r.vermagic.trim());

    // The source dir is never written to.
    expect((await readdir(sensorSrc)).filter((f) => /\.(o|ko|cmd|mod)$|^modules\.order$|^Module\.symvers$/.test(f))).toEqual([]);
  });

  it('reports compiler errors with the source path, as a ConfigError', async () => {
    const broken = join(work, 'broken');
    await cp(sensorSrc, broken, { recursive: true });
    const c = await readFile(join(broken, 'sensor.c'), 'utf8');
    await writeFile(join(broken, 'sensor.c'), c.replace('atomic64_inc(&sensor_execs);', 'atomic64_inc(&sensor_exec_count);'));
    const err = await buildKmod({ sourceDir: broken, kernelRelease: release, headersDir, outDir: join(work, 'out-broken') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('KMOD_BUILD_FAILED');
    expect((err as Error).message).toContain(`${broken}/sensor.c:`);
    expect((err as Error).message).toMatch(/error: 'sensor_exec_count' undeclared/);
    expect((err as Error).message).not.toMatch(/bootgate-kmod-\w+\/src/);
  });

  it('refuses headers of another release before building', async () => {
    const other = release.replace(/-(\d+)-/, (_, n: string) => `-${Number(n) + 1}-`);
    await expect(buildKmod({ sourceDir: sensorSrc, kernelRelease: other, headersDir, outDir: join(work, 'out-other') })).rejects.toMatchObject({
      code: 'KERNEL_HEADERS_MISMATCH',
    });
  });
});
