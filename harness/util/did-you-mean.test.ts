import { describe, expect, it } from 'vitest';
import { closestWords, didYouMean, editDistance, maxSlips } from './did-you-mean.js';

const SUITE_KEYS = ['name', 'allowOutside', 'description', 'images', 'agent', 'agents', 'content', 'boot', 'matrix', 'workloads', 'lifecycle', 'gate', 'concurrency'];

describe('editDistance (optimal string alignment)', () => {
  it('counts an insertion, a deletion, a substitution and a swap of neighbours as one edit each', () => {
    expect(editDistance('images', 'images')).toBe(0);
    expect(editDistance('image', 'images')).toBe(1);
    expect(editDistance('imagess', 'images')).toBe(1);
    expect(editDistance('imagez', 'images')).toBe(1);
    expect(editDistance('imagse', 'images')).toBe(1);
    expect(editDistance('', 'boot')).toBe(4);
    expect(editDistance('boot', '')).toBe(4);
  });
  it('is the restricted distance: a swapped pair is not edited again', () => {
    // ca -> abc needs 3 edits when a transposed pair may not be edited further (2 in the unrestricted form).
    expect(editDistance('ca', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('is symmetric', () => {
    for (const [a, b] of [['timout', 'timeout'], ['bootloop', 'bootLoop'], ['xyz', 'concurrency']] as const) expect(editDistance(a, b)).toBe(editDistance(b, a));
  });
});

describe('closestWords', () => {
  it('finds the key a slip was meant for', () => {
    expect(closestWords('imagse', SUITE_KEYS)).toEqual(['images']);
    expect(closestWords('contnet', SUITE_KEYS)).toEqual(['content']);
    expect(closestWords('lifecyle', SUITE_KEYS)).toEqual(['lifecycle']);
    expect(closestWords('concurency', SUITE_KEYS)).toEqual(['concurrency']);
    expect(closestWords('Images', SUITE_KEYS)).toEqual(['images']);
    expect(closestWords('bootloop', ['baseline', 'cycles', 'timeout', 'bootLoop'])).toEqual(['bootLoop']);
  });
  it('lists every word at the smallest distance, in the order given', () => {
    expect(closestWords('agentz', SUITE_KEYS)).toEqual(['agent', 'agents']);
    expect(closestWords('agnet', SUITE_KEYS)).toEqual(['agent']);
    expect(closestWords('ab', ['ac', 'ad'])).toEqual([]);
    expect(closestWords('abcd', ['abce', 'abcf', 'abxy'])).toEqual(['abce', 'abcf']);
  });
  it('suggests nothing for a word that is far from every key, or known already', () => {
    expect(closestWords('foo', SUITE_KEYS)).toEqual([]);
    expect(closestWords('selftest', SUITE_KEYS)).toEqual([]);
    expect(closestWords('images', SUITE_KEYS)).toEqual([]);
    expect(closestWords('x'.repeat(100_000), SUITE_KEYS)).toEqual([]);
  });
  it('allows at most one slip per 3 letters, and never more than 2', () => {
    expect([1, 2, 3, 5, 6, 9, 30].map(maxSlips)).toEqual([0, 0, 1, 1, 2, 2, 2]);
    expect(closestWords('gat', SUITE_KEYS)).toEqual(['gate']);
    expect(closestWords('gxtx', SUITE_KEYS)).toEqual([]);
    expect(closestWords('wrklods', SUITE_KEYS)).toEqual(['workloads']);
    expect(closestWords('wrklodz', SUITE_KEYS)).toEqual([]);
  });
});

describe('didYouMean', () => {
  it('says the suggestion in backquotes, or nothing', () => {
    expect(didYouMean('imagse', SUITE_KEYS)).toBe('did you mean `images`?');
    expect(didYouMean('abcd', ['abce', 'abcf'])).toBe('did you mean `abce` or `abcf`?');
    expect(didYouMean('foo', SUITE_KEYS)).toBe('');
  });
});
