import { describe, expect, it } from 'vitest';
import { crossBuildOf, crossCompilerPackage } from './cross-build.js';

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
});
