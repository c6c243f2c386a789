import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { MAX_ALIAS_COUNT, parseYaml } from './yaml.js';

const any = z.unknown();
const fail = (text: string): ConfigError => {
  try {
    parseYaml('s.yaml', text, any);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('parsed');
};

describe('parseYaml: aliases', () => {
  it('takes an alias that follows its anchor', () => {
    expect(parseYaml('s.yaml', 'a: &x [1, 2]\nb: *x\n', any).value).toEqual({ a: [1, 2], b: [1, 2] });
  });
  it('an alias without an anchor before it is a ConfigError at its line', () => {
    const e = fail('name: t\nimages: *nope\n');
    expect([e.code, e.line, e.message, e.exitCode]).toEqual(['YAML_ALIAS', 2, 'alias *nope has no anchor &nope before it', 2]);
    expect(fail('a: *x\nb: &x 1\n').line).toBe(1);
  });
  it('an alias bomb is refused quickly, at the line of its first alias', () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1, prev = 'a'; i <= 9; prev = `b${i}`, i++) text += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    const t0 = Date.now();
    const e = fail(text);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect([e.code, e.line]).toEqual(['YAML_ALIAS', 2]);
    expect(e.message).toBe(`aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?)`);
  });
});
