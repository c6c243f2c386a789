import { describe, expect, it } from 'vitest';
import { parsePrintUris } from './deb-cache.js';

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
