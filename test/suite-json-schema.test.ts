import { Ajv, type ErrorObject } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonSchemas } from '../harness/config/json-schemas.js';
import { suiteSchema } from '../harness/config/suite-schema.js';
import { DURATION_PATTERN } from '../harness/util/duration.js';
import { ROOT } from './cli-helpers.js';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';

/**
 * schemas/suite.schema.json, the schema editors use for suite files, checked with a real JSON
 * Schema validator (ajv, draft-07 as the YAML language server reads it): the suites in suites/
 * and the examples in the README and docs/DESIGN.md pass, a slip fails, and the loader agrees.
 * (That the file is what `npm run schemas` writes is checked in report-schemas.test.ts.)
 */
const FILE = join(ROOT, 'schemas', 'suite.schema.json');
const MODELINE = '# yaml-language-server: $schema=../schemas/suite.schema.json';
const schema = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
// strict: a keyword ajv does not know, or one that does not apply to its type, fails the compile
// (a list of types, `type: [string, number]`, is standard JSON Schema: allowed).
const validate = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(schema);
const check = (data: unknown): ErrorObject[] => (validate(data) ? [] : [...(validate.errors ?? [])]);
const yamlBlockAfter = (file: string, heading: string) => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const from = text.indexOf(heading);
  expect(from, `${file} has ${heading}`).toBeGreaterThanOrEqual(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(text.slice(from));
  return m![1]!;
};

/** Every node of a JSON Schema with the path to it. */
function* nodes(s: unknown, at = '#'): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(s)) for (const [i, x] of s.entries()) yield* nodes(x, `${at}/${i}`);
  else if (s && typeof s === 'object') {
    yield [at, s as Record<string, unknown>];
    for (const [k, v] of Object.entries(s)) yield* nodes(v, `${at}/${k}`);
  }
}

describe('schemas/suite.schema.json, for editors', () => {
  it('is generated with the others, declares its draft (07, what the YAML language server reads) and a title', () => {
    expect(Object.keys(jsonSchemas())).toContain('suite.schema.json');
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toMatch(/suite/);
  });
  it('describes every field', () => {
    const undescribed: string[] = [];
    for (const [at, node] of nodes(schema)) {
      const props = node.properties as Record<string, Record<string, unknown>> | undefined;
      if (at.endsWith('/properties') || !props || typeof props !== 'object') continue;
      for (const [k, v] of Object.entries(props)) if (typeof v.description !== 'string' || v.description.length < 10) undescribed.push(`${at}/properties/${k}`);
    }
    expect(undescribed).toEqual([]);
  });
  it('refuses unknown keys wherever the loader does (additionalProperties: false on every object with fields)', () => {
    const open = [...nodes(schema)].filter(([at, n]) => !at.endsWith('/properties') && n.properties && n.additionalProperties !== false).map(([at]) => at);
    expect(open).toEqual([]);
  });
  it('lists enums, and writes durations as the loader reads them: text in the duration grammar or a number of seconds', () => {
    const boot = (schema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).boot!.properties;
    expect(boot.reboot!.enum).toEqual(['warm', 'cold']);
    const agent = (schema.properties as Record<string, { properties: Record<string, Record<string, unknown>> }>).agent!.properties;
    expect(agent.kind!.enum).toEqual(['linux-kmod', 'linux-ebpf', 'windows-driver']);
    for (const d of ['timeout', 'settle', 'silence']) {
      expect(boot[d]!.anyOf, d).toEqual([
        { type: 'string', pattern: DURATION_PATTERN.source },
        { type: 'number', minimum: d === 'settle' ? 0 : 1, maximum: 86_400 },
      ]);
    }
    expect(boot.timeout!.default).toBe('90s');
  });
});

describe('suite files against schemas/suite.schema.json (ajv)', () => {
  const files = readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.yaml'));
  it('there are suites to check', () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(`suites/${f} names the schema on its first line and passes it`, () => {
      const text = readFileSync(join(ROOT, 'suites', f), 'utf8');
      expect(text.split('\n')[0]).toBe(MODELINE);
      expect(check(parse(text))).toEqual([]);
    });
  }
  it('the suite examples of the README and docs/DESIGN.md name the schema and pass it', () => {
    for (const [file, heading] of [['README.md', '## The suite file'], ['docs/DESIGN.md', '**Suite file**']] as const) {
      const text = yamlBlockAfter(file, heading);
      expect(text.split('\n')[0], file).toBe(MODELINE);
      expect(check(parse(text)), file).toEqual([]);
    }
  });
  it('a misspelt key fails it, at the key, as does a misspelt value', () => {
    const quick = parse(readFileSync(join(ROOT, 'suites', 'quickstart.yaml'), 'utf8')) as Record<string, unknown>;
    const { images, ...rest } = quick;
    const errors = check({ ...rest, imagse: images });
    expect(errors.map((e) => [e.keyword, e.params])).toEqual(
      expect.arrayContaining([
        ['required', { missingProperty: 'images' }],
        ['additionalProperties', { additionalProperty: 'imagse' }],
      ]),
    );
    const boot = quick.boot as Record<string, unknown>;
    expect(check({ ...quick, boot: { ...boot, timout: '90s' } }).map((e) => [e.instancePath, e.params])).toEqual([['/boot', { additionalProperty: 'timout' }]]);
    expect(check({ ...quick, boot: { ...boot, timeout: 'soon' } }).some((e) => e.instancePath === '/boot/timeout' && e.keyword === 'pattern')).toBe(true);
  });
  it('agrees with the loader\'s schema on what a suite may say', () => {
    const cases = [
      '',
      'boot: { timeout: 90s }',
      'boot: { timeout: 1500ms, settle: 0, silence: 2m }',
      'boot: { timeout: " 90 s " }',
      'boot: { timeout: 1h }',
      'boot: { timeout: 90 }',
      'boot: { timeout: soon }',
      'boot: { timeout: 5d }',
      'boot: { timeout: -5 }',
      'boot: { timeout: 0.5 }',
      'boot: { timeout: 86401 }',
      'boot: { timeout: true }',
      'boot: { reboot: cold }',
      'boot: { reboot: hot }',
      'boot: { cycles: 0 }',
      'boot: { cycles: many }',
      'boot: { cycles: 2.5 }',
      'boot: { timout: 90s }',
      'workloads: { names: [exec, tcp] }',
      'workloads: { names: [exec, sleep] }',
      'workloads: { names: [] }',
      'lifecycle: [install, { update-content: "290" }, rollback-content, { upgrade: 2.1.0 }, uninstall]',
      'lifecycle: [instal]',
      'lifecycle: [install, { upgrdae: "2.1.0" }]',
      'lifecycle: []',
      'gate: { bootSuccess: 1.5 }',
      'gate: { overheadBound: median, maxBootOverheadPct: 10 }',
      'gate: { overheadBound: mean }',
      'gate: { allow: [{ title: x, reason: known, expires: "2026-12-31" }] }',
      'gate: { allow: [{ title: x, expires: "2026-12-31" }] }',
      'matrix: { content: ["290"] }',
      'matrix: { content: [] }',
      'concurrency: 0',
      'allowOutside: yes please',
      'foo: 1',
    ];
    for (const extra of cases) {
      const text = `${MINIMAL_SUITE}${extra}\n`;
      const data = parse(text) as unknown;
      expect(check(data).length === 0, extra || '(the minimal suite)').toBe(suiteSchema.safeParse(data).success);
    }
    // Versions: numbers and safe names pass both; text the loader refuses fails both.
    for (const v of ['290', '"2.1.0+deb~1"', '7', '"-rc1"', '"a b"', `"${'x'.repeat(65)}"`]) {
      const data = parse(MINIMAL_SUITE.replace('version: "290"', `version: ${v}`)) as unknown;
      expect(check(data).length === 0, v).toBe(suiteSchema.safeParse(data).success);
    }
  });
});
