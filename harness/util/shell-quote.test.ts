import { describe, expect, it } from 'vitest';
import { shellQuote, shellWord } from './shell-quote.js';

describe('shell quoting', () => {
  it('shellQuote always quotes, and survives a single quote', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('/opt/a')).toBe(`'/opt/a'`);
  });
  it('shellWord leaves plain words alone and quotes the rest', () => {
    expect(shellWord('/opt/bootgate/bootgate-workload')).toBe('/opt/bootgate/bootgate-workload');
    expect(shellWord('a b')).toBe(`'a b'`);
    expect(shellWord('$HOME')).toBe(`'$HOME'`);
    expect(shellWord('')).toBe(`''`);
  });
});
