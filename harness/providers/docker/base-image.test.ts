import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_RECIPE, baseImageMmdebstrapArgs, baseImageTag } from './base-image.js';
import { parseBackingChain } from './backing-chain.js';

describe('the base image recipe', () => {
  it('is tagged by its hash: the same recipe the same tag, any change a new one', () => {
    expect(baseImageTag()).toMatch(/^bootgate\/qemu:[0-9a-f]{12}$/);
    expect(baseImageTag({ ...BASE_IMAGE_RECIPE, packages: [...BASE_IMAGE_RECIPE.packages].reverse() })).toBe(baseImageTag());
    expect(baseImageTag({ ...BASE_IMAGE_RECIPE, packages: [...BASE_IMAGE_RECIPE.packages, 'swtpm'] })).not.toBe(baseImageTag());
    expect(baseImageTag({ ...BASE_IMAGE_RECIPE, suite: 'trixie' })).not.toBe(baseImageTag());
    // Another repository keeps the hash; apt options change it.
    expect(baseImageTag({ ...BASE_IMAGE_RECIPE, repo: 'bootgate/kbuild' })).toBe(baseImageTag().replace('bootgate/qemu', 'bootgate/kbuild'));
    expect(baseImageTag({ ...BASE_IMAGE_RECIPE, aptOptions: ['Acquire::Check-Valid-Until "false"'] })).not.toBe(baseImageTag());
  });

  it("reads unstable from its one suite, and passes apt options to mmdebstrap", () => {
    const a = baseImageMmdebstrapArgs({ suite: 'sid', packages: ['gcc-16'], aptOptions: ['Acquire::Check-Valid-Until "false"'] });
    expect(a).toContain('--aptopt=Acquire::Check-Valid-Until "false"');
    expect(a.slice(a.indexOf('sid'))).toEqual(['sid', '-', 'deb http://deb.debian.org/debian sid main']);
  });

  it('makes a tar on stdout with QEMU and OVMF from the lab\'s Debian mirror', () => {
    const a = baseImageMmdebstrapArgs();
    expect(a).toContain('--format=tar');
    expect(a).toContain('--include=qemu-system-x86,ovmf');
    expect(a.slice(a.indexOf('bookworm'), a.indexOf('bookworm') + 3)).toEqual(['bookworm', '-', 'deb http://deb.debian.org/debian bookworm main']);
  });
});

describe('parseBackingChain', () => {
  it('lists the chain top first, absolute paths only', () => {
    const json = JSON.stringify([{ filename: '/tmp/c/disk.qcow2', 'backing-filename': '/tmp/b/disk.qcow2' }, { filename: '/tmp/b/disk.qcow2' }, { filename: '/cache/g/state.qcow2' }]);
    expect(parseBackingChain(json)).toEqual(['/tmp/c/disk.qcow2', '/tmp/b/disk.qcow2', '/cache/g/state.qcow2']);
    expect(parseBackingChain(JSON.stringify({ filename: '/a.qcow2' }))).toEqual(['/a.qcow2']);
  });
});
