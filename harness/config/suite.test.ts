import { execFileSync } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from './suite.js';
import { expandMatrix } from './matrix.js';
import { ConfigError, ConfigErrors } from '../util/errors.js';
import { parseDuration } from '../util/duration.js';
import { makeSuiteLab } from '../../test/fixtures/suite-lab.js';

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
  lab = await makeSuiteLab('bootgate-suite-');
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
  it('repeat: N makes N judged copies of every cell, and retries default to 1', async () => {
    const s = await loadSuite(await suiteFile(GOOD + 'repeat: 3\n'));
    expect(s.suite.boot.retries).toBe(1);
    const cells = expandMatrix(s.suite);
    expect(cells.map((c) => [c.id, c.repeat])).toEqual([
      ['debian-6.1-generic__sensor-2.1.0__content-290', 1],
      ['debian-6.1-generic__sensor-2.1.0__content-290@repeat-2', 2],
      ['debian-6.1-generic__sensor-2.1.0__content-290@repeat-3', 3],
      ['debian-6.1-generic__sensor-2.1.0__content-291', 1],
      ['debian-6.1-generic__sensor-2.1.0__content-291@repeat-2', 2],
      ['debian-6.1-generic__sensor-2.1.0__content-291@repeat-3', 3],
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    expect((await configError(GOOD + 'repeat: 0\n')).field).toBe('repeat');
    expect((await configError(GOOD.replace('timeout: 90s', 'timeout: 90s, retries: -1'))).field).toBe('boot.retries');
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
    const k = await configError(GOOD.replace('name: t', 'name: t\nimagez: []'));
    expect([k.code, k.field, k.line, k.message]).toEqual(['UNKNOWN_KEY', 'imagez', 2, 'unknown key: did you mean `images`?']);
    const d = await configError(GOOD.replace('timeout: 90s', 'timeout: soon'));
    expect(d.field).toBe('boot.timeout');
    expect(d.message).toMatch(/not a duration/);
  });
  it('takes selftest: as a command or as { command, timeout }, and names the field of a bad one', async () => {
    const withSt = (v: string) => GOOD.replace('  kind: linux-kmod\n', `  kind: linux-kmod\n  selftest: ${v}\n`);
    expect((await loadSuite(await suiteFile(withSt('/opt/sensor/selftest --tap')))).suite.agent?.selftest).toEqual({ command: '/opt/sensor/selftest --tap', timeoutMs: 120_000 });
    expect((await loadSuite(await suiteFile(withSt('{ command: "sh /opt/st.sh", timeout: 30s }')))).suite.agent?.selftest).toEqual({ command: 'sh /opt/st.sh', timeoutMs: 30_000 });
    const bad = await configError(withSt('{ command: "x", timeout: forever }'));
    expect(bad.field).toBe('agent.selftest.timeout');
    expect(bad.line).toBe(6);
    expect((await configError(withSt('{ run: "x" }'))).field).toMatch(/^agent\.selftest/);
    expect((await configError(withSt('""'))).message).toMatch(/empty command/);
  });
  it('says so when the file does not exist', async () => {
    const e = await loadSuite(join(lab, 'nope.yaml')).catch((x: unknown) => x as ConfigError);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toBe('no such file');
  });
});

describe('loadSuite: every problem of a suite at once', () => {
  it('schema problems: each at its own line, a misspelt required key as the slip it is', async () => {
    const text = GOOD.replace('images:', 'imagse:').replace('kind: linux-kmod', 'kind: linux-kmd').replace('cycles: 3', 'cycles: 3, timout: 90s') + 'foo: 1\n';
    const e = await configError(text);
    expect(e).toBeInstanceOf(ConfigErrors);
    expect((e as ConfigErrors).problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [2, 'imagse', 'UNKNOWN_KEY'],
      [5, 'agent.kind', 'SCHEMA'],
      [11, 'boot.timout', 'UNKNOWN_KEY'],
      [12, 'foo', 'UNKNOWN_KEY'],
    ]);
    expect((e as ConfigErrors).problems[0]!.message).toBe('unknown key: did you mean `images`? (`images` is required and missing)');
  });
  it('checks after the schema (files, lifecycle, matrix): each at its own line', async () => {
    const text = GOOD.replace('channel-291.txt', 'channel-404.txt').replace('sensor-kmod }', 'sensor-kmod-404 }') + 'lifecycle: [install, { upgrade: "9.9" }]\nmatrix: { content: ["999"] }\n';
    const e = await configError(text);
    expect(e).toBeInstanceOf(ConfigErrors);
    expect((e as ConfigErrors).problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [7, 'agent.builds[0].source', 'BUILD_SOURCE_MISSING'],
      [10, 'content[1].path', 'CONTENT_MISSING'],
      [12, 'lifecycle[1]', 'LIFECYCLE'],
      [13, 'matrix.content[0]', 'MATRIX'],
    ]);
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

describe('hostile suites (issue #14)', () => {
  const withBuilds = (builds: string) => GOOD.replace('    - { version: "2.1.0", source: examples/agents/sensor-kmod }', builds);

  it('names and versions that would become paths outside their folder are refused at validation', async () => {
    for (const v of ['../../../../tmp/x', '2.1.0/a', '2.1.0 a', '.hidden', '-rf', 'a'.repeat(65)]) {
      const e = await configError(withBuilds(`    - { version: ${JSON.stringify(v)}, source: examples/agents/sensor-kmod }`));
      expect([e.code, e.field, e.line], v).toEqual(['SCHEMA', 'agent.builds[0].version', 7]);
    }
    const c = await configError(GOOD.replace('version: "290"', 'version: "../290"'));
    expect(c.field).toBe('content[0].version');
    expect((await configError(GOOD.replace('name: sensor', 'name: "../sensor"'))).field).toBe('agent.name');
    expect((await configError(GOOD.replace('kind: linux-kmod', 'kind: linux-kmod\n  module: "../x"'))).field).toBe('agent.module');
    // Versions of every shape the suites use still load, + and ~ too (Debian-style).
    const s = await loadSuite(await suiteFile(withBuilds('    - { version: 2.2.0-slow, source: examples/agents/sensor-kmod }\n    - { version: "1.0~rc1+b2", source: examples/agents/sensor-kmod }\n    - { version: in-tree, inTree: true }')));
    expect(expandMatrix(s.suite).map((x) => x.id)).toContain('debian-6.1-generic__sensor-1.0~rc1+b2__content-290');
  });

  it('a suite name too long for a file name is refused, naming the field', async () => {
    const e = await configError(GOOD.replace('name: t', `name: ${'a'.repeat(300)}`));
    expect([e.field, e.line, e.message]).toEqual(['name', 1, 'at most 64 characters']);
  });

  it('two entries that would share a cell id are refused, naming both with their lines', async () => {
    const two = GOOD.replace(
      /agent:\n[\s\S]*?content:/,
      'agents:\n  - name: sensor-2\n    kind: linux-kmod\n    builds: [{ version: "1", source: examples/agents/sensor-kmod }]\n  - name: sensor\n    kind: linux-kmod\n    builds: [{ version: "2-1", source: examples/agents/sensor-kmod }]\ncontent:',
    );
    const e = await configError(two);
    expect([e.code, e.field, e.line]).toEqual(['CELL_ID_CLASH', 'agents[1].builds[0]', 9]);
    expect(e.message).toBe(`agent sensor build 2-1 makes the same cell id (<image>__sensor-2-1__content-290) as agents[0].builds[0] at ${e.file}:6: rename one of them`);
    // Narrowed away by matrix:, the clash makes no cells and is no error.
    await expect(loadSuite(await suiteFile(`${two}matrix: { builds: ["1"] }\n`))).resolves.toBeDefined();
  });

  it('an empty matrix is refused', async () => {
    const e = await configError(`${GOOD}matrix: { builds: [] }\n`);
    expect([e.field, e.line]).toEqual(['matrix.builds', 12]);
    expect(e.message).toMatch(/no cells/);
  });

  it('content and source paths must resolve inside the lab root unless allowOutside: true', async () => {
    for (const p of ['/etc/passwd', '../../../../../etc/passwd']) {
      const e = await configError(GOOD.replace('examples/content/channel-290.txt', p));
      expect([e.code, e.field, e.line], p).toEqual(['PATH_OUTSIDE_LAB', 'content[0].path', 9]);
      expect(e.message).toMatch(/outside the lab root .*set allowOutside: true/);
    }
    await symlink('/etc/passwd', join(lab, 'examples/content/link.txt')).catch(() => undefined);
    expect((await configError(GOOD.replace('channel-290.txt', 'link.txt'))).message).toMatch(/link\.txt \(\/etc\/passwd\) is outside the lab root/);
    const src = await configError(GOOD.replace('source: examples/agents/sensor-kmod', 'source: /usr/src'));
    expect([src.code, src.field]).toEqual(['PATH_OUTSIDE_LAB', 'agent.builds[0].source']);
    const s = await loadSuite(await suiteFile(`${GOOD.replace('examples/content/channel-290.txt', '/etc/passwd')}allowOutside: true\n`));
    expect(s.suite.allowOutside).toBe(true);
    expect((await configError(`${GOOD}allowOutside: yes please\n`)).field).toBe('allowOutside');
  });

  it('content must be a regular file and a source a folder: a FIFO or a device is refused without opening it', async () => {
    const fifo = join(lab, 'examples/content/fifo.txt');
    execFileSync('mkfifo', [fifo]);
    const e = await configError(GOOD.replace('channel-290.txt', 'fifo.txt'));
    expect([e.code, e.field, e.message]).toEqual(['CONTENT_NOT_FILE', 'content[0].path', `content must be a regular file: ${fifo} is a FIFO (named pipe)`]);
    const zero = await configError(`${GOOD.replace('examples/content/channel-290.txt', '/dev/zero')}allowOutside: true\n`);
    expect(zero.message).toBe('content must be a regular file: /dev/zero is a character device');
    const dir = await configError(GOOD.replace('examples/content/channel-290.txt', 'examples/content'));
    expect(dir.message).toMatch(/examples\/content is a directory$/);
    const file = await configError(GOOD.replace('source: examples/agents/sensor-kmod', 'source: examples/content/channel-290.txt'));
    expect([file.code, file.field, file.message]).toEqual(['BUILD_SOURCE_NOT_FOLDER', 'agent.builds[0].source', `a build source must be a folder: ${join(lab, 'examples/content/channel-290.txt')} is a file`]);
  }, 10_000);

  it('durations are bounded 1s to 24h (Node fires a timer above 2^31-1 ms at once), naming the field', async () => {
    for (const t of ['0', '0s', '500ms', '600h', '25h', '1e308', '86400001ms']) {
      const e = await configError(GOOD.replace('timeout: 90s', `timeout: ${t}`));
      expect([e.field, e.line], t).toEqual(['boot.timeout', 11]);
      expect(e.message, t).toMatch(/out of range: from 1s to 24h|not a duration/);
    }
    expect((await configError(GOOD.replace('timeout: 90s', 'timeout: 90s, silence: 0s'))).field).toBe('boot.silence');
    expect((await configError(GOOD.replace('timeout: 90s', 'timeout: 90s, settle: 25h'))).field).toBe('boot.settle');
    const ok = await loadSuite(await suiteFile(GOOD.replace('timeout: 90s', 'timeout: 24h, settle: 0s, silence: 1s')));
    expect([ok.suite.boot.timeout, ok.suite.boot.settle, ok.suite.boot.silence]).toEqual([86_400_000, 0, 1000]);
  });

  it('kernel arguments that would blind the crash capture are refused, naming the entry', async () => {
    const refused = ['oops=continue', 'panic=0', 'loglevel=0', 'console=tty0', 'quiet', 'panic_on_warn=0', 'panic-on-warn=0', 'printk.time=0', 'sysctl.kernel.panic_on_oops=0', 'sysctl.kernel/printk=1', 'pvpanic.events=0', 'module_blacklist=pvpanic_pci', 'nosoftlockup', 'nmi_watchdog=0', 'rcupdate.rcu_cpu_stall_suppress=1', 'softlockup_panic=0'];
    for (const a of refused) {
      const e = await configError(GOOD.replace('timeout: 90s }', `timeout: 90s, kernelArgs: [rcupdate.rcu_cpu_stall_timeout=60, nokaslr, ${a}] }`));
      expect([e.field, e.line], a).toEqual(['boot.kernelArgs[2]', 11]);
      expect(e.message, a).toMatch(new RegExp(`^refused: ${a.replace(/[.]/g, '\\.')}: `));
    }
    const allowed = ['rcupdate.rcu_cpu_stall_timeout=60', 'panic_on_warn=1', 'nokaslr', 'ignore_loglevel', 'earlycon', 'module_blacklist=floppy', 'consoleblank=0', 'hung_task_timeout_secs=30'];
    const s = await loadSuite(await suiteFile(GOOD.replace('timeout: 90s }', `timeout: 90s, kernelArgs: [${allowed.join(', ')}] }`)));
    expect(s.suite.boot.kernelArgs).toEqual(allowed);
  });
});
