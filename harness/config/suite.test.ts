import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from './suite.js';
import { expandMatrix } from './matrix.js';
import { ConfigError } from '../util/errors.js';
import { parseDuration } from '../util/duration.js';

let lab: string;
const GOOD = `name: t
images: [debian-6.1-generic]
agent:
  name: sensor
  kind: linux-kmod
  builds:
    - { version: "2.1.0", source: examples/agents/sensor-kmod }
content:
  - { version: "290", path: examples/content/channel-290.txt }
  - { version: 291, path: examples/content/channel-291.txt }
boot: { baseline: 1, cycles: 3, timeout: 90s }
`;

async function suiteFile(text: string): Promise<string> {
  const f = join(lab, 'suites', `s-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(f, text);
  return f;
}

async function configError(text: string): Promise<ConfigError> {
  const e = await loadSuite(await suiteFile(text)).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), 'bootgate-suite-'));
  await mkdir(join(lab, 'suites'));
  await mkdir(join(lab, 'examples/content'), { recursive: true });
  await mkdir(join(lab, 'examples/agents/sensor-kmod'), { recursive: true });
  await writeFile(join(lab, 'examples/content/channel-290.txt'), 'channel 290\n');
  await writeFile(join(lab, 'examples/content/channel-291.txt'), 'channel 291\n');
});

describe('loadSuite', () => {
  it('loads a good suite, resolving paths against the lab root, and expands the matrix', async () => {
    const s = await loadSuite(await suiteFile(GOOD));
    expect(s.root).toBe(lab);
    expect(s.suite.boot.timeout).toBe(90_000);
    expect(s.suite.boot.reboot).toBe('warm');
    expect(s.suite.content[1]!.version).toBe('291');
    const cells = expandMatrix(s.suite);
    expect(cells.map((c) => c.id)).toEqual(['debian-6.1-generic__sensor-2.1.0__content-290', 'debian-6.1-generic__sensor-2.1.0__content-291']);
  });
  it('names file, line and field of a type error', async () => {
    const e = await configError(GOOD.replace('cycles: 3', 'cycles: three'));
    expect(e.line).toBe(11);
    expect(e.field).toBe('boot.cycles');
    expect(e.exitCode).toBe(2);
    expect(e.toString()).toMatch(/s-.*\.yaml:11: boot\.cycles: /);
  });
  it('names the line of a missing content file', async () => {
    const e = await configError(GOOD.replace('channel-291.txt', 'channel-999.txt'));
    expect(e.code).toBe('CONTENT_MISSING');
    expect(e.line).toBe(10);
    expect(e.field).toBe('content[1].path');
  });
  it('reports YAML syntax errors with their line', async () => {
    const e = await configError('name: t\nimages: [a\nagent: {\n');
    expect(e.code).toBe('YAML_SYNTAX');
    expect(e.line).toBeGreaterThan(1);
  });
  it('rejects unknown keys and bad durations', async () => {
    expect((await configError(GOOD.replace('name: t', 'name: t\nimagez: []'))).message).toMatch(/imagez/);
    const d = await configError(GOOD.replace('timeout: 90s', 'timeout: soon'));
    expect(d.field).toBe('boot.timeout');
    expect(d.message).toMatch(/not a duration/);
  });
  it('says so when the file does not exist', async () => {
    const e = await loadSuite(join(lab, 'nope.yaml')).catch((x: unknown) => x as ConfigError);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toBe('no such file');
  });
});

describe('parseDuration', () => {
  it('reads units', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration(5)).toBe(5000);
    expect(parseDuration('5 parsecs')).toBeUndefined();
  });
});

describe('matrix and lifecycle', () => {
  it('narrows the matrix and checks lifecycle steps against the suite', async () => {
    const s = await loadSuite(await suiteFile(`${GOOD}matrix: { content: ["290"] }\nlifecycle: [install, { update-content: "291" }, rollback-content, uninstall]\n`));
    expect(expandMatrix(s.suite).map((c) => c.content.version)).toEqual(['290']);
    expect(s.suite.lifecycle!.map((x) => x.action)).toEqual(['install', 'update-content', 'rollback-content', 'uninstall']);
    const e = await configError(`${GOOD}lifecycle: [install, { upgrade: "9.9" }]\n`);
    expect(e.field).toBe('lifecycle[1]');
    expect(e.message).toMatch(/build version 9\.9 is not in this suite's agent\.builds/);
    expect((await configError(`${GOOD}lifecycle: [uninstall]\n`)).message).toMatch(/first lifecycle step must be install/);
    expect((await configError(`${GOOD}matrix: { content: ["999"] }\n`)).field).toBe('matrix.content[0]');
  });
});

describe('several agents side by side', () => {
  it('expands images x agents x builds x content, and refuses agent with agents', async () => {
    const two = GOOD.replace(/agent:\n  name: sensor\n  kind: linux-kmod\n  builds:\n(.*)\n/, 'agents:\n  - name: sensor\n    kind: linux-kmod\n    builds:\n  $1\n  - name: sensor-ebpf\n    kind: linux-ebpf\n    builds:\n  $1\n');
    const s = await loadSuite(await suiteFile(two));
    expect(expandMatrix(s.suite).map((c) => `${c.agent}/${c.content.version}`)).toEqual(['sensor/290', 'sensor/291', 'sensor-ebpf/290', 'sensor-ebpf/291']);
    const both = await configError(`${two}agent: { name: x, kind: linux-kmod, builds: [{ version: "1", source: examples/agents/sensor-kmod }] }\n`);
    expect(both.message).toBe('give agent: or agents:, not both');
  });
});

describe('kernel modules taken from the kernel package (inTree)', () => {
  const withBuild = (kind: string, build: string, extra = '') =>
    GOOD.replace('  kind: linux-kmod\n', `  kind: ${kind}\n${extra}`).replace('    - { version: "2.1.0", source: examples/agents/sensor-kmod }', `    - ${build}`);

  it('takes inTree: true without a source for linux-kmod, with contentParam', async () => {
    const s = await loadSuite(await suiteFile(withBuild('linux-kmod', '{ version: in-tree, inTree: true }', '  contentParam: ""\n')));
    expect(s.suite.agent?.builds[0]).toEqual({ version: 'in-tree', inTree: true });
    expect(s.suite.agent?.contentParam).toBe('');
    expect(expandMatrix(s.suite)[0]!.id).toBe('debian-6.1-generic__sensor-in-tree__content-290');
  });

  it('names the field of a build that is neither, both, or on the wrong kind', async () => {
    const neither = await configError(withBuild('linux-kmod', '{ version: "1" }'));
    expect([neither.field, neither.line, neither.message]).toEqual(['agent.builds[0]', 7, 'build 1 needs source: (a folder) or inTree: true']);
    const both = await configError(withBuild('linux-kmod', '{ version: "1", inTree: true, source: examples/agents/sensor-kmod }'));
    expect([both.field, both.message]).toEqual(['agent.builds[0].inTree', 'give source: or inTree: true, not both']);
    const ebpf = await configError(withBuild('linux-ebpf', '{ version: "1", inTree: true }'));
    expect([ebpf.field, ebpf.message]).toEqual(['agent.builds[0].inTree', "inTree is for linux-kmod agents (a module of the image's own kernel), not linux-ebpf"]);
    const make = await configError(withBuild('linux-kmod', '{ version: "1", inTree: true, make: { A: b } }'));
    expect(make.field).toBe('agent.builds[0].make');
    const param = await configError(withBuild('linux-ebpf', '{ version: "1", source: examples/agents/sensor-ebpf }', '  contentParam: content\n'));
    expect([param.field, param.line]).toEqual(['agent.contentParam', 6]);
  });
});

describe('boot.kernelArgs', () => {
  it('takes one argument per entry, and refuses spaces and the lab own bootgate.* ones', async () => {
    const s = await loadSuite(await suiteFile(GOOD.replace('timeout: 90s }', 'timeout: 90s, kernelArgs: [rcupdate.rcu_cpu_stall_timeout=60] }')));
    expect(s.suite.boot.kernelArgs).toEqual(['rcupdate.rcu_cpu_stall_timeout=60']);
    const space = await configError(GOOD.replace('timeout: 90s }', 'timeout: 90s, kernelArgs: ["a=1 b=2"] }'));
    expect([space.field, space.line]).toEqual(['boot.kernelArgs[0]', 11]);
    const lab = await configError(GOOD.replace('timeout: 90s }', 'timeout: 90s, kernelArgs: [bootgate.authkey=x] }'));
    expect(lab.message).toMatch(/bootgate\.\* arguments belong to the lab/);
  });
});
