import { chmod, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, LabError } from '../../util/errors.js';
import {
  checkHeadersTree,
  fetchKernelHeaders,
  fixHeadersTree,
  headersCachePaths,
  HEADERS_MARKER,
  relativeLinkTarget,
  rewriteHeadersMakefile,
  validateKernelRelease,
} from './headers.js';

const R = '6.1.0-56-amd64';

describe('validateKernelRelease', () => {
  it('accepts Debian releases', () => {
    for (const r of [R, '6.1.0-56-cloud-amd64', '6.1.0-56-rt-amd64', '6.12.9+bpo-amd64', '5.10.0-33-amd64']) {
      expect(() => validateKernelRelease(r)).not.toThrow();
    }
  });
  it('rejects what could escape a package name or a path', () => {
    for (const r of ['', 'amd64', '6.1.0', '6.1.0-56-amd64 foo', '6.1.0-56/../../etc', '6.1.0-56-amd64;rm', '-6.1.0-56', '6.1.0-..']) {
      expect(() => validateKernelRelease(r), r).toThrow(ConfigError);
    }
  });
});

describe('rewriteHeadersMakefile', () => {
  it("makes Debian's include of the -common Makefile relative to the Makefile", () => {
    const { text, changed } = rewriteHeadersMakefile(
      'include /usr/src/linux-headers-6.1.0-56-common/Makefile\n',
      `/usr/src/linux-headers-${R}/Makefile`,
    );
    expect(text).toBe('include $(dir $(lastword $(MAKEFILE_LIST)))../linux-headers-6.1.0-56-common/Makefile\n');
    expect(changed).toHaveLength(1);
  });
  it('handles -include and paths into /usr/lib, and leaves the rest alone', () => {
    const src = ['# comment /usr/src/x', '-include /usr/lib/linux-kbuild-6.1/scripts/Kbuild.include', 'include $(srctree)/scripts/Makefile.lib', 'X := /usr/src/y'].join('\n');
    const { text, changed } = rewriteHeadersMakefile(src, `/usr/src/linux-headers-${R}/Makefile`);
    expect(text.split('\n')).toEqual([
      '# comment /usr/src/x',
      '-include $(dir $(lastword $(MAKEFILE_LIST)))../../lib/linux-kbuild-6.1/scripts/Kbuild.include',
      'include $(srctree)/scripts/Makefile.lib',
      'X := /usr/src/y',
    ]);
    expect(changed).toHaveLength(1);
  });
  it("makes unstable's KBUILD_OUTPUT (its own folder, by absolute path) relative, expanded at once", () => {
    const R7 = '7.2.13+deb14-amd64';
    const { text } = rewriteHeadersMakefile(
      `KBUILD_OUTPUT=/usr/src/linux-headers-${R7}\ninclude /usr/src/linux-headers-7.2.13+deb14-common/Makefile\n`,
      `/usr/src/linux-headers-${R7}/Makefile`,
    );
    expect(text.split('\n')[0]).toBe('KBUILD_OUTPUT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))).)');
  });
});

describe('relativeLinkTarget', () => {
  it('turns absolute targets into ones relative to the link', () => {
    expect(relativeLinkTarget(`/lib/modules/${R}/build`, `/usr/src/linux-headers-${R}`)).toBe(`../../../usr/src/linux-headers-${R}`);
    expect(relativeLinkTarget(`/usr/src/linux-headers-${R}/scripts`, '/usr/lib/linux-kbuild-6.1/scripts')).toBe('../../lib/linux-kbuild-6.1/scripts');
    expect(relativeLinkTarget('/usr/src/a', '/usr/src/')).toBe('.');
  });
});

/** The layout of linux-headers-R + -common + linux-kbuild-6.1 once unpacked into one root. */
async function fakeDebianHeaders(root: string, opts: { absoluteScripts?: boolean; noKbuild?: boolean } = {}): Promise<string> {
  const build = join(root, `usr/src/linux-headers-${R}`);
  const common = join(root, 'usr/src/linux-headers-6.1.0-56-common');
  const kbuild = join(root, 'usr/lib/linux-kbuild-6.1');
  const file = async (p: string, text: string, mode = 0o644) => {
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, text);
    await chmod(p, mode);
  };
  await file(join(build, 'Makefile'), 'include /usr/src/linux-headers-6.1.0-56-common/Makefile\n');
  await file(join(build, '.config'), 'CONFIG_MODULES=y\n');
  await file(join(build, 'Module.symvers'), '');
  await file(join(build, '.kernelvariables'), 'CC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-12\n');
  await file(join(build, 'include/generated/utsrelease.h'), `#define UTS_RELEASE "${R}"\n`);
  await file(join(common, 'Makefile'), 'VERSION = 6\ninclude $(srctree)/scripts/Kbuild.include\n');
  if (!opts.noKbuild) {
    await file(join(kbuild, 'scripts/Makefile.build'), '');
    await file(join(kbuild, 'scripts/Makefile.modpost'), '');
    await file(join(kbuild, 'scripts/basic/fixdep'), '#!/bin/sh\n', 0o755);
    await file(join(kbuild, 'scripts/mod/modpost'), '#!/bin/sh\n', 0o755);
  }
  for (const dir of [build, common]) {
    await symlink(opts.absoluteScripts ? '/usr/lib/linux-kbuild-6.1/scripts' : '../../lib/linux-kbuild-6.1/scripts', join(dir, 'scripts'));
    await symlink('../../lib/linux-kbuild-6.1/tools', join(dir, 'tools'));
  }
  await mkdir(join(root, `lib/modules/${R}`), { recursive: true });
  await symlink(`/usr/src/linux-headers-${R}`, join(root, `lib/modules/${R}/build`));
  await symlink('/usr/src/linux-headers-6.1.0-56-common', join(root, `lib/modules/${R}/source`));
  return build;
}

describe('fixHeadersTree', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bootgate-headers-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('rewrites the Makefile include and absolute symlinks so the tree works where it is', async () => {
    const build = await fakeDebianHeaders(root);
    const fixes = await fixHeadersTree(root, R);
    expect(await readFile(join(build, 'Makefile'), 'utf8')).toBe('include $(dir $(lastword $(MAKEFILE_LIST)))../linux-headers-6.1.0-56-common/Makefile\n');
    expect(await readlink(join(root, `lib/modules/${R}/build`))).toBe(`../../../usr/src/linux-headers-${R}`);
    expect(await readlink(join(root, `lib/modules/${R}/source`))).toBe('../../../usr/src/linux-headers-6.1.0-56-common');
    expect(await readlink(join(build, 'scripts'))).toBe('../../lib/linux-kbuild-6.1/scripts');
    expect(fixes.some((f) => f.includes('Makefile'))).toBe(true);
    expect(fixes.filter((f) => f.startsWith('symlink'))).toHaveLength(2);
    // Idempotent: a second pass finds nothing to do.
    expect(await fixHeadersTree(root, R)).toEqual([]);
  });

  it('also repairs absolute scripts symlinks (never pointing at the host /usr)', async () => {
    const build = await fakeDebianHeaders(root, { absoluteScripts: true });
    await fixHeadersTree(root, R);
    expect(await readlink(join(build, 'scripts'))).toBe('../../lib/linux-kbuild-6.1/scripts');
  });

  it('fails with a LabError when the kbuild package is missing', async () => {
    await fakeDebianHeaders(root, { noKbuild: true });
    await expect(fixHeadersTree(root, R)).rejects.toThrow(LabError);
    await expect(checkHeadersTree(root, R)).rejects.toThrow(/lack scripts\/Makefile.build/);
  });

  it('fails when the headers are for another release', async () => {
    await fakeDebianHeaders(root);
    await mkdir(join(root, 'usr/src/linux-headers-6.1.0-55-amd64'), { recursive: true });
    await expect(checkHeadersTree(root, '6.1.0-55-amd64')).rejects.toThrow(LabError);
  });
});

describe('fetchKernelHeaders cache', () => {
  it('returns a complete cached tree without touching apt', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bootgate-headers-cache-'));
    try {
      const paths = headersCachePaths(cacheDir, R);
      await fakeDebianHeaders(join(paths.dir, 'root'));
      await writeFile(join(paths.dir, HEADERS_MARKER), JSON.stringify({ kernelRelease: R, packages: [], fixes: [] }));
      await expect(fetchKernelHeaders({ kernelRelease: R, cacheDir })).resolves.toBe(paths.buildDir);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('validates the release before doing anything', async () => {
    await expect(fetchKernelHeaders({ kernelRelease: '../../x', cacheDir: '/nonexistent' })).rejects.toThrow(ConfigError);
  });
});
