import { describe, expect, it } from 'vitest';
import { selectImages } from './select.js';
import type { Recipe } from './recipe.js';

const r = (name: string, series: string, flavour: 'generic' | 'cloud' | 'rt', userland: Recipe['userland'] = 'initramfs', tags: string[] = []): Recipe => ({
  name, os: 'linux', kernel: { package: 'x', series, flavour }, userland, tags, memoryMiB: 512, cpus: 1,
});
const all = [
  r('debian-6.1-generic', '6.1', 'generic'),
  r('debian-6.1-rt', '6.1', 'rt'),
  r('debian-6.12-generic', '6.12', 'generic'),
  r('debian-6.12-rt', '6.12', 'rt'),
  r('debian-6.1-generic-systemd', '6.1', 'generic', 'disk', ['systemd']),
  { name: 'win11', os: 'windows', userland: 'user-disk', tags: [], memoryMiB: 4096, cpus: 2 } as Recipe,
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
  it('matches nothing rather than guessing, and names a condition it cannot read', () => {
    expect(selectImages('debian-7.0-generic', all)).toEqual([]);
    expect(() => selectImages('colour=blue', all)).toThrow(/cannot read image condition "colour=blue"/);
  });
});
