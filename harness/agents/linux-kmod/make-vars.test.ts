import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../util/errors.js';
import { makeVarArgs } from './build.js';
import { buildCacheName } from './kmod-agent.js';

describe('makeVarArgs: a build\'s make variables on make\'s command line', () => {
  it('VAR=value, sorted by name; none gives none', () => {
    expect(makeVarArgs({ SENSOR_VERSION: '2.2.0-slow', SENSOR_EXTRA_NS: '50000' }, '/src')).toEqual(['SENSOR_EXTRA_NS=50000', 'SENSOR_VERSION=2.2.0-slow']);
    expect(makeVarArgs(undefined, '/src')).toEqual([]);
    expect(makeVarArgs({}, '/src')).toEqual([]);
    expect(makeVarArgs({ EMPTY: '' }, '/src')).toEqual(['EMPTY=']);
  });

  it('refuses names that are not make identifiers, kbuild\'s own variables, and values with spaces, quotes or shell characters', () => {
    const bad = (vars: Record<string, string>) => {
      try {
        makeVarArgs(vars, '/src/sensor');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).code).toBe('KMOD_MAKE_VAR');
        return (e as ConfigError).toString();
      }
      throw new Error('accepted');
    };
    expect(bad({ 'A B': '1' })).toBe('/src/sensor: make.A B: make variable name "A B" is not a make identifier (letters, digits, _)');
    expect(bad({ M: '/elsewhere' })).toMatch(/make variable M belongs to kbuild itself/);
    expect(bad({ KBUILD_EXTRA_SYMBOLS: 'x' })).toMatch(/belongs to kbuild itself/);
    expect(bad({ CC: 'clang' })).toMatch(/belongs to kbuild itself/);
    expect(bad({ SENSOR_VERSION: '2.2 slow' })).toMatch(/SENSOR_VERSION="2.2 slow": values are one word/);
    expect(bad({ SENSOR_VERSION: '2.2"; rm -rf /' })).toMatch(/no spaces, quotes or shell characters/);
    expect(bad({ X: '$(shell id)' })).toMatch(/values are one word/);
  });
});

describe('buildCacheName: make variables are part of the build cache key', () => {
  const src = 'c'.repeat(64);
  it('without variables, the name it always had', () => {
    expect(buildCacheName('sensor', '2.1.0', src)).toBe('sensor-2.1.0-cccccccccccc');
    expect(buildCacheName('sensor', '2.1.0', src, {})).toBe('sensor-2.1.0-cccccccccccc');
  });
  it('with variables, a hash of them: the same map in any order gives the same name, another map another', () => {
    const a = buildCacheName('sensor', '2.2.0', src, { SENSOR_VERSION: '2.2.0', SENSOR_EXTRA_NS: '50000' });
    expect(a).toMatch(/^sensor-2\.2\.0-cccccccccccc-make-[0-9a-f]{12}$/);
    expect(buildCacheName('sensor', '2.2.0', src, { SENSOR_EXTRA_NS: '50000', SENSOR_VERSION: '2.2.0' })).toBe(a);
    expect(buildCacheName('sensor', '2.2.0', src, { SENSOR_VERSION: '2.2.0', SENSOR_EXTRA_NS: '0' })).not.toBe(a);
  });
  it('a version that reached it unvalidated stays one folder name, never a path out of the cache', () => {
    const n = buildCacheName('sensor', '../../../../tmp/x', src);
    expect(n).toBe('sensor-%2E.%2F..%2F..%2F..%2Ftmp%2Fx-cccccccccccc');
    expect(n).not.toContain('/');
    expect(buildCacheName('sensor', '2.1.0/a', src)).not.toBe(buildCacheName('sensor', '2.1.0 a', src));
  });
});
