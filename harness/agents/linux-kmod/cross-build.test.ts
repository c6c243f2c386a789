import { describe, expect, it } from 'vitest';
import { crossBuildOf, crossCompilerPackage } from './cross-build.js';
import { KmodAgent } from './kmod-agent.js';

describe('cross builds of modules for arm64 kernels', () => {
  it("uses Debian 12's cross compiler for Debian 12's kernels, bookworm when the recipe names no suite", () => {
    expect(crossBuildOf('arm64', undefined)).toEqual({ arch: 'arm64', prefix: 'aarch64-linux-gnu-', suite: 'bookworm' });
    expect(crossBuildOf('arm64', 'bookworm-backports').suite).toBe('bookworm-backports');
  });
  it('refuses a kernel of another suite by name: its gcc is not the host cross compiler', () => {
    expect(() => crossBuildOf('arm64', 'trixie')).toThrow(/arm64 kernels of Debian trixie cannot be built here yet/);
  });
  it('names the Debian package of a missing cross compiler', () => {
    expect(crossCompilerPackage('aarch64-linux-gnu-gcc-12', 'aarch64-linux-gnu-')).toBe('gcc-12-aarch64-linux-gnu');
    expect(crossCompilerPackage('gcc-12', 'aarch64-linux-gnu-')).toBe('gcc-12');
  });
  it('refuses an in-tree module for an arm64 image rather than look for it in the host lists', async () => {
    const agent = new KmodAgent({ name: 'test_bpf', cacheDir: '/nonexistent' });
    const guest = { os: 'linux' as const, kernelRelease: '6.1.0-57-arm64', kernelPackage: 'linux-image-6.1.0-57-arm64', kernelPackageVersion: '6.1.192-3', arch: 'arm64' as const };
    await expect(agent.prepare({ version: 'in-tree', inTree: true, guest })).rejects.toMatchObject({ code: 'KMOD_IN_TREE_ARCH' });
  });
});
