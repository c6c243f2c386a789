import { describe, expect, it } from 'vitest';
import { inPackageOrder, parsePrintUris } from './deb-cache.js';

describe('parsePrintUris', () => {
  it("reads apt-get's URL, file name, size and sha256, and nothing else", () => {
    const text = [
      "'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1.35.0-4%2bdeb12u1%2bb1_amd64.deb' busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb 928188 SHA256:3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744",
      'Reading package lists...',
      "'http://x/y.deb' y_1_amd64.deb 12 MD5Sum:0123",
    ].join('\n');
    expect(parsePrintUris(text)).toEqual([
      {
        url: 'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1.35.0-4%2bdeb12u1%2bb1_amd64.deb',
        file: 'busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb',
        size: 928188,
        sha256: '3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744',
      },
    ]);
  });
});

describe('inPackageOrder', () => {
  const u = (file: string) => ({ url: `http://x/${file}`, file, size: 1, sha256: 'a'.repeat(64) });
  it("puts apt's files in the order the packages were asked, by file name (libc6 is not libc6-dev)", () => {
    const printed = [u('libc6-dev_2.36-9+deb12u14_arm64.deb'), u('libbpf-dev_1%3a1.1.2-0+deb12u1_arm64.deb'), u('libc6_2.36-9+deb12u14_arm64.deb')];
    expect(inPackageOrder(['libc6=2.36-9+deb12u14', 'libbpf-dev=1:1.1.2-0+deb12u1', 'libc6-dev'], printed).map((x) => x.file)).toEqual([
      'libc6_2.36-9+deb12u14_arm64.deb',
      'libbpf-dev_1%3a1.1.2-0+deb12u1_arm64.deb',
      'libc6-dev_2.36-9+deb12u14_arm64.deb',
    ]);
    expect(() => inPackageOrder(['zlib1g-dev'], printed)).toThrow(/no file for zlib1g-dev/);
  });
});
