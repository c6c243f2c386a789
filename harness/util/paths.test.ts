import { describe, expect, it } from 'vitest';
import { fileNamePart } from './paths.js';

describe('fileNamePart', () => {
  it('keeps validated names and versions as they are', () => {
    for (const s of ['sensor', '2.1.0', '2.2.0-slow', 'test_bpf', '1.0~rc1+b2', 'in-tree']) expect(fileNamePart(s)).toBe(s);
  });
  it('encodes everything else injectively, so no result is a path, . or ..', () => {
    const inputs = ['..', '.', '../x', 'a/b', 'a b', 'a_b', 'a%2Fb', '%', 'é', '.hidden', 'a\0b'];
    const out = inputs.map(fileNamePart);
    expect(new Set(out).size).toBe(inputs.length);
    for (const o of out) {
      expect(o).toMatch(/^[A-Za-z0-9%_+~-][A-Za-z0-9._+~%-]*$/);
      expect(['.', '..']).not.toContain(o);
    }
    expect(fileNamePart('..')).toBe('%2E.');
    expect(fileNamePart('a/b')).toBe('a%2Fb');
  });
});
