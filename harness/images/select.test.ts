import { describe, expect, it } from 'vitest';
import { selectImages } from './select.js';
import type { Recipe } from './recipe.js';

const r = (name: string, series: string, flavour: 'generic' | 'cloud' | 'rt', userland: Recipe['userland'] = 'initramfs', tags: string[] = [], distro = 'debian-12'): Recipe => ({
  name, os: 'linux', distro, arch: 'amd64', kernel: { package: 'x', series, flavour }, userland, tags, memoryMiB: 512, cpus: 1,
});
const all = [
  r('debian-6.1-generic', '6.1', 'generic'),
  r('debian-6.1-rt', '6.1', 'rt'),
  r('debian-6.12-generic', '6.12', 'generic'),
  r('debian-6.12-rt', '6.12', 'rt'),
  r('debian-6.1-generic-systemd', '6.1', 'generic', 'disk', ['systemd']),
  { name: 'win11', os: 'windows', arch: 'amd64', userland: 'user-disk', tags: [], memoryMiB: 4096, cpus: 2 } as Recipe,
];
const wide = [
  ...all,
  r('debian-11-5.10-generic', '5.10', 'generic', 'initramfs', [], 'debian-11'),
  r('debian-13-6.12-rt', '6.12', 'rt', 'initramfs', [], 'debian-13'),
  r('debian-sid-generic', '7.2', 'generic', 'initramfs', [], 'debian-sid'),
  { ...r('debian-arm-6.1-generic', '6.1', 'generic'), arch: 'arm64' } as Recipe,
];

describe('selectImages', () => {
  it('by name', () => expect(selectImages('debian-6.1-rt', all)).toEqual(['debian-6.1-rt']));
  it('by glob over name or os/name', () => {
    expect(selectImages('debian-6.12-*', all)).toEqual(['debian-6.12-generic', 'debian-6.12-rt']);
    expect(selectImages('linux/*', all)).toHaveLength(5);
    expect(selectImages('windows/*', all)).toEqual(['win11']);
  });
  it('compares kernel series as versions, not strings (6.12 > 6.2 > 6.1)', () => {
    expect(selectImages('kernel>=6.12', all)).toEqual(['debian-6.12-generic', 'debian-6.12-rt']);
    expect(selectImages('kernel<6.2', all)).toEqual(['debian-6.1-generic', 'debian-6.1-rt', 'debian-6.1-generic-systemd']);
  });
  it('joins conditions with commas, and takes "key: value"', () => {
    expect(selectImages('kernel>=6.1,flavour=rt', all)).toEqual(['debian-6.1-rt', 'debian-6.12-rt']);
    expect(selectImages('flavour: rt', all)).toEqual(['debian-6.1-rt', 'debian-6.12-rt']);
    expect(selectImages('tag=systemd', all)).toEqual(['debian-6.1-generic-systemd']);
    expect(selectImages('userland=disk', all)).toEqual(['debian-6.1-generic-systemd']);
  });
  it('selects by distro and arch, and across five kernel years', () => {
    expect(selectImages('distro=debian-13', wide)).toEqual(['debian-13-6.12-rt']);
    expect(selectImages('kernel<6.0', wide)).toEqual(['debian-11-5.10-generic']);
    expect(selectImages('kernel>=6.12', wide)).toEqual(['debian-6.12-generic', 'debian-6.12-rt', 'debian-13-6.12-rt', 'debian-sid-generic']);
    expect(selectImages('arch=arm64', wide)).toEqual(['debian-arm-6.1-generic']);
    expect(selectImages('arch=amd64,os=linux', wide)).toHaveLength(8);
    expect(selectImages('distro!=debian-12,kernel>=6.1', wide)).toEqual(['debian-13-6.12-rt', 'debian-sid-generic']);
  });
  it('matches nothing rather than guessing, and names a condition it cannot read', () => {
    expect(selectImages('debian-7.0-generic', all)).toEqual([]);
    expect(() => selectImages('colour=blue', all)).toThrow(/cannot read image condition "colour=blue"/);
  });
});
