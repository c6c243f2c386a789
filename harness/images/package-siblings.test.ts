import { describe, expect, it } from 'vitest';
import { compareNumbered, newestSibling, siblingPattern } from './package-siblings.js';

describe('package siblings', () => {
  it('frees the numbers after the kernel series, keeps the flavour', () => {
    const re = siblingPattern('linux-image-5.10.0-30-amd64');
    expect(re.test('linux-image-5.10.0-46-amd64')).toBe(true);
    expect(re.test('linux-image-5.10.0-46-cloud-amd64')).toBe(false);
    expect(re.test('linux-image-6.1.0-46-amd64')).toBe(false);
    expect(siblingPattern('linux-image-6.12.100+deb13-rt-amd64').test('linux-image-6.12.118+deb13-rt-amd64')).toBe(true);
  });
  it('orders digit runs as numbers', () => {
    expect(compareNumbered('5.10.0-9', '5.10.0-46')).toBeLessThan(0);
    expect(['a-10', 'a-9', 'a-100'].sort(compareNumbered)).toEqual(['a-9', 'a-10', 'a-100']);
  });
  it('names the newest package of the same kind, never the gone one itself', () => {
    const names = ['linux-image-5.10.0-9-amd64', 'linux-image-5.10.0-46-amd64', 'linux-image-5.10.0-45-amd64', 'linux-image-5.10.0-46-rt-amd64', 'linux-image-amd64'];
    expect(newestSibling('linux-image-5.10.0-30-amd64', names)).toBe('linux-image-5.10.0-46-amd64');
    expect(newestSibling('linux-image-5.10.0-30-amd64=5.10.200-1', names)).toBe('linux-image-5.10.0-46-amd64');
    expect(newestSibling('linux-image-4.19.0-1-amd64', names)).toBeUndefined();
  });
});
