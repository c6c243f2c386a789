import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../util/errors.js';
import { buildKmod, isBuildArtifact, kernelCompiler, summarizeBuildOutput } from './build.js';

describe('isBuildArtifact', () => {
  it('skips what an in-place build leaves behind', () => {
    for (const n of ['sensor.o', 'sensor.ko', 'sensor.mod', 'sensor.mod.c', 'sensor.mod.o', '.sensor.o.cmd', 'modules.order', 'Module.symvers', '.tmp_versions', '.git']) {
      expect(isBuildArtifact(n), n).toBe(true);
    }
  });
  it('keeps sources', () => {
    for (const n of ['sensor.c', 'sensor.h', 'Kbuild', 'Makefile', 'README.md', 'helper.S', 'module.c', 'objects']) {
      expect(isBuildArtifact(n), n).toBe(false);
    }
  });
});

describe('kernelCompiler', () => {
  it("reads Debian's .kernelvariables", () => {
    const kv = 'override ARCH = x86\nCCACHE = ccache\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-12\n';
    expect(kernelCompiler(kv)).toBe('gcc-12');
  });
  it('falls back to gcc', () => {
    expect(kernelCompiler(undefined)).toBe('gcc');
    expect(kernelCompiler('ARCH = x86\n')).toBe('gcc');
    expect(kernelCompiler('CC = $(shell rm -rf /)\n')).toBe('gcc');
  });
});

describe('summarizeBuildOutput', () => {
  const out = [
    "make: Entering directory '/cache/usr/src/linux-headers-6.1.0-56-amd64'",
    '  CC [M]  /tmp/bootgate-kmod-x/src/sensor.o',
    "/tmp/bootgate-kmod-x/src/sensor.c: In function 'sensor_init':",
    "/tmp/bootgate-kmod-x/src/sensor.c:12:9: error: 'foo' undeclared (first use in this function)",
    '/tmp/bootgate-kmod-x/src/sensor.c:20:5: warning: unused variable \u2018x\u2019 [-Wunused-variable]',
    'WARNING: modpost: missing MODULE_LICENSE() in /tmp/bootgate-kmod-x/src/sensor.o',
    'ERROR: modpost: "bar" [/tmp/bootgate-kmod-x/src/sensor.ko] undefined!',
    'make[2]: *** [scripts/Makefile.build:250: /tmp/bootgate-kmod-x/src/sensor.o] Error 1',
    'Skipping BTF generation for /tmp/bootgate-kmod-x/src/sensor.ko due to unavailability of vmlinux',
  ].join('\n');

  it('collects compiler and modpost errors and warnings, with paths of the source dir', () => {
    const d = summarizeBuildOutput(out, '/tmp/bootgate-kmod-x/src', '/work/agent');
    expect(d.errors).toEqual([
      "/work/agent/sensor.c:12:9: error: 'foo' undeclared (first use in this function)",
      'ERROR: modpost: "bar" [/work/agent/sensor.ko] undefined!',
    ]);
    expect(d.warnings).toEqual([
      '/work/agent/sensor.c:20:5: warning: unused variable \u2018x\u2019 [-Wunused-variable]',
      'WARNING: modpost: missing MODULE_LICENSE() in /work/agent/sensor.o',
    ]);
  });

  it('finds nothing in a clean build', () => {
    const clean = ['  CC [M]  /x/sensor.o', '  MODPOST /x/Module.symvers', '  LD [M]  /x/sensor.ko', 'Skipping BTF generation for /x/sensor.ko due to unavailability of vmlinux'];
    expect(summarizeBuildOutput(clean.join('\n'))).toEqual({ errors: [], warnings: [] });
  });
});

describe('buildKmod input checks', () => {
  it('rejects a missing source dir, a source without Kbuild/Makefile and a missing headers dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bootgate-kmod-test-'));
    try {
      const base = { kernelRelease: '6.1.0-56-amd64', headersDir: join(dir, 'headers'), outDir: join(dir, 'out') };
      await expect(buildKmod({ ...base, sourceDir: join(dir, 'nope') })).rejects.toMatchObject({ code: 'KMOD_SOURCE_MISSING' });
      await mkdir(join(dir, 'src'));
      await expect(buildKmod({ ...base, sourceDir: join(dir, 'src') })).rejects.toMatchObject({ code: 'KMOD_SOURCE_INVALID' });
      await writeFile(join(dir, 'src', 'Kbuild'), 'obj-m := x.o\n');
      await expect(buildKmod({ ...base, sourceDir: join(dir, 'src') })).rejects.toThrow(ConfigError);
      await expect(buildKmod({ ...base, sourceDir: join(dir, 'src') })).rejects.toMatchObject({ code: 'KERNEL_HEADERS_MISSING' });
      await mkdir(join(dir, 'headers', 'include', 'generated'), { recursive: true });
      await writeFile(join(dir, 'headers', 'Makefile'), '');
      await writeFile(join(dir, 'headers', 'include', 'generated', 'utsrelease.h'), '#define UTS_RELEASE "6.1.0-55-amd64"\n');
      await expect(buildKmod({ ...base, sourceDir: join(dir, 'src') })).rejects.toMatchObject({ code: 'KERNEL_HEADERS_MISMATCH' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
