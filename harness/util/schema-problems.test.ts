import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, ConfigErrors, MAX_SHOWN_PROBLEMS } from './errors.js';
import { knownKeysAt } from './schema-keys.js';
import { parseYaml } from './yaml.js';

/** A small file format with what the suite schema has: strict objects, arrays of them, unions, defaults, pipes. */
const item = z.object({ version: z.union([z.string(), z.number()]).transform(String).pipe(z.string().min(1)), path: z.string() }).strict();
const schema = z
  .object({
    name: z.string(),
    images: z.array(z.string()).min(1),
    kind: z.enum(['linux-kmod', 'linux-ebpf']).optional(),
    boot: z.object({ cycles: z.number().int().default(3), timeout: z.union([z.string(), z.number()]).optional() }).strict().prefault({}),
    items: z.array(item).optional(),
    step: z.union([z.enum(['install']), z.object({ upgrade: z.string() }).strict()]).optional(),
    vars: z.record(z.string(), z.string()).optional(),
  })
  .strict();

function problems(text: string): ConfigError[] {
  try {
    parseYaml('f.yaml', text, schema);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e instanceof ConfigErrors ? [...e.problems] : [e as ConfigError];
  }
  throw new Error('parsed');
}
const brief = (ps: ConfigError[]) => ps.map((p) => `${p.line}: ${p.field}: ${p.message}`);

describe('knownKeysAt', () => {
  it('finds the fields of the object at a path, through defaults, arrays, pipes, records and unions', () => {
    expect(knownKeysAt(schema, [])).toEqual(['name', 'images', 'kind', 'boot', 'items', 'step', 'vars']);
    expect(knownKeysAt(schema, ['boot'])).toEqual(['cycles', 'timeout']);
    expect(knownKeysAt(schema, ['items', 3])).toEqual(['version', 'path']);
    expect(knownKeysAt(schema, ['step'])).toEqual(['upgrade']);
    expect(knownKeysAt(schema, ['vars'])).toEqual([]);
    expect(knownKeysAt(schema, ['nope', 'deeper'])).toEqual([]);
    expect(knownKeysAt(schema, ['name'])).toEqual([]);
  });
});

describe('parseYaml: every problem at once, each at its own line', () => {
  it('an unknown key is reported at its own line, not its parent\'s, with the key it is a slip of', () => {
    const text = 'name: t\nimages: [a]\nboot:\n  cycles: 3\n\n  timout: 5\n';
    expect(brief(problems(text))).toEqual(['6: boot.timout: unknown key: did you mean `timeout`?']);
    expect(problems(text)[0]!.code).toBe('UNKNOWN_KEY');
  });
  it('a misspelt required key is the unknown key with its suggestion, not a missing key', () => {
    const ps = problems('name: t\n# the images\nimagse: [a]\n');
    expect(brief(ps)).toEqual(['3: imagse: unknown key: did you mean `images`? (`images` is required and missing)']);
  });
  it('a required key missing with no slip of it is reported at its parent\'s key', () => {
    expect(brief(problems('name: t\nimages: [a]\nitems:\n  - { version: 1, path: p }\n  - path: q\n'))).toEqual(['5: items[1].version: required key missing']);
    expect(brief(problems('images: [a]\n')).map((s) => s.replace(/^\d+/, 'N'))).toEqual(['N: name: required key missing']);
  });
  it('an unknown key far from every known one lists the known keys there', () => {
    expect(brief(problems('name: t\nimages: [a]\nboot: { cycles: 1, color: red }\n'))).toEqual(['3: boot.color: unknown key (known here: cycles, timeout)']);
  });
  it('a type error is reported at the line of its value', () => {
    expect(brief(problems('name: t\nimages:\n  - a\n  -\n    - nested\n'))).toEqual(['5: images[1]: Invalid input: expected string, received array']);
    expect(brief(problems('name: t\nimages: [a]\nboot:\n  cycles:\n    three\n'))).toEqual(['5: boot.cycles: Invalid input: expected number, received string']);
  });
  it('an enum value close to a known one gets a suggestion; a union says what each member takes', () => {
    expect(brief(problems('name: t\nimages: [a]\nkind: linux-kmd\n'))).toEqual(['3: kind: Invalid option: expected one of "linux-kmod"|"linux-ebpf"; did you mean `linux-kmod`?']);
    expect(brief(problems('name: t\nimages: [a]\nboot: { timeout: true }\n'))).toEqual(['3: boot.timeout: Invalid input: expected string or number, received boolean']);
    expect(brief(problems('name: t\nimages: [a]\nstep: instal\n'))).toEqual(['3: step: Invalid input: expected "install"; did you mean `install`?']);
    expect(brief(problems('name: t\nimages: [a]\nstep: { upgarde: x }\n'))).toEqual(['3: step: Invalid input; `upgarde`: did you mean `upgrade`?']);
  });
  it('reports every problem of the file, in file order', () => {
    const text = ['imagse: [a]', 'kind: linux-kmd', 'boot:', '  cycles: many', '  timout: 5', 'items:', '  - { version: 1, path: p, paht: q }', 'colour: red', 'name: 5', ''].join('\n');
    const ps = problems(text);
    expect(brief(ps)).toEqual([
      '1: imagse: unknown key: did you mean `images`? (`images` is required and missing)',
      '2: kind: Invalid option: expected one of "linux-kmod"|"linux-ebpf"; did you mean `linux-kmod`?',
      '4: boot.cycles: Invalid input: expected number, received string',
      '5: boot.timout: unknown key: did you mean `timeout`?',
      '7: items[0].paht: unknown key: did you mean `path`?',
      '8: colour: unknown key (known here: name, images, kind, boot, items, step, vars)',
      '9: name: Invalid input: expected string, received number',
    ]);
    let thrown: unknown;
    try {
      parseYaml('f.yaml', text, schema);
    } catch (e) {
      thrown = e;
    }
    // The first problem stands for all where one error is read; each line is file:line: field: message.
    const all = thrown as ConfigErrors;
    expect([all.code, all.line, all.field, all.exitCode]).toEqual(['UNKNOWN_KEY', 1, 'imagse', 2]);
    expect(all.lines()[3]).toBe('f.yaml:5: boot.timout: unknown key: did you mean `timeout`?');
    expect(all.toString().split('\n')).toEqual(all.lines());
  });
  it('shows at most MAX_SHOWN_PROBLEMS, then says how many more', () => {
    const text = `name: t\nimages: [a]\n${Array.from({ length: MAX_SHOWN_PROBLEMS + 5 }, (_, i) => `extra${i}: 1\n`).join('')}`;
    let thrown: unknown;
    try {
      parseYaml('f.yaml', text, schema);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    const lines = (thrown as ConfigErrors).lines();
    expect(lines).toHaveLength(MAX_SHOWN_PROBLEMS + 1);
    expect(lines[0]).toBe('f.yaml:3: extra0: unknown key (known here: name, images, kind, boot, items, step, vars)');
    expect(lines.at(-1)).toBe('f.yaml: 5 more errors not shown (fix these and run again)');
  });
  it('one problem a field, and a refinement\'s own message about an absent field is kept', () => {
    const day = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(d)), 'not a calendar date') }).strict();
    let one: unknown;
    try {
      parseYaml('f.yaml', 'day: soon\n', day);
    } catch (x) {
      one = x;
    }
    expect(one).not.toBeInstanceOf(ConfigErrors);
    expect((one as ConfigError).toString()).toBe('f.yaml:1: day: use YYYY-MM-DD');
    const both = z
      .object({ os: z.string(), extra: z.string().optional() })
      .strict()
      .superRefine((r, ctx) => {
        if (r.os === 'windows' && !r.extra) ctx.addIssue({ code: 'custom', path: ['extra'], message: 'a Windows image needs extra:' });
      });
    let e: unknown;
    try {
      parseYaml('f.yaml', '# comment\nos: windows\n', both);
    } catch (x) {
      e = x;
    }
    expect([(e as ConfigError).field, (e as ConfigError).message]).toEqual(['extra', 'a Windows image needs extra:']);
  });
  it('reports every YAML syntax error with its line', () => {
    const ps = problems('name: t\nimages: [a\nboot: {\n');
    expect(ps.length).toBeGreaterThan(1);
    expect(ps.every((p) => p.code === 'YAML_SYNTAX' && p.line !== undefined && p.message.startsWith('YAML syntax error: '))).toBe(true);
    expect(brief(problems('name: t\nname: u\nimages: [a]\nimages: [b]\n')).map((s) => s.slice(0, 3))).toEqual(['2: ', '4: ']);
  });
});
