/**
 * Hostile suites, logs and run files (issue #14): each gets one line naming file, line and
 * field, exit 2; never a hang, a stack trace or "internal error". No test here boots a guest:
 * every suite is refused before preparation.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/results/schema.js';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';
import { bootgate, ROOT, type CliResult } from './cli-helpers.js';
import { fixtureRun } from './fixtures/report-run.js';

const lab = mkdtempSync(join(tmpdir(), 'bootgate-hostile-'));
mkdirSync(join(lab, 'suites'));
mkdirSync(join(lab, 'examples/agents/sensor-kmod'), { recursive: true });
mkdirSync(join(lab, 'examples/content'), { recursive: true });
writeFileSync(join(lab, 'examples/agents/sensor-kmod/Kbuild'), 'obj-m := sensor.o\n');
writeFileSync(join(lab, 'examples/content/channel-290.txt'), 'channel 290\n');

const GOOD = MINIMAL_SUITE;

const suite = (name: string, text: string) => {
  const f = join(lab, 'suites', name);
  writeFileSync(f, text);
  return f;
};

/** Exit 2 and exactly one line, `bootgate: error: FILE:LINE: ...`, nothing of a crash in it. */
function refused(r: CliResult, file: string, rest: RegExp | string): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*:\d+:\d+/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  const line = r.stderr.trim();
  expect(line.startsWith(`bootgate: error: ${file}`), line).toBe(true);
  if (typeof rest === 'string') expect(line.slice(`bootgate: error: ${file}`.length)).toBe(rest);
  else expect(line).toMatch(rest);
  expect(r.code).toBe(2);
}

const run = (f: string) => bootgate(['run', f, '--results', join(lab, 'results')]);

describe('hostile YAML', () => {
  it('an alias without its anchor', async () => {
    const f = suite('alias.yaml', GOOD.replace('name: t', 'name: *nope'));
    refused(await run(f), f, ':1: alias *nope has no anchor &nope before it');
  });
  it('an alias bomb', async () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1, prev = 'a'; i <= 9; prev = `b${i}`, i++) text += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    const f = suite('bomb.yaml', text);
    refused(await run(f), f, ':2: aliases expand to more than 100 nodes (an alias bomb?)');
  });
  it('a suite file that is a FIFO does not hang', async () => {
    const f = join(lab, 'suites', 'fifo.yaml');
    execFileSync('mkfifo', [f]);
    refused(await run(f), f, ': is a FIFO (named pipe), not a file');
  }, 10_000);
});

describe('hostile suites', () => {
  it('a build version that would be a path out of the cache', async () => {
    const f = suite('version.yaml', GOOD.replace('version: "2.1.0"', 'version: "../../../../tmp/x"'));
    refused(await run(f), f, /:7: agent\.builds\[0\]\.version: versions are letters, digits/);
  });
  it('a 300-character suite name', async () => {
    const f = suite('long.yaml', GOOD.replace('name: t', `name: ${'a'.repeat(300)}`));
    refused(await run(f), f, ':1: name: at most 64 characters');
  });
  it('an empty matrix', async () => {
    const f = suite('empty.yaml', `${GOOD}matrix: { builds: [] }\n`);
    refused(await run(f), f, /:10: matrix\.builds: an empty list leaves no cells/);
  });
  it('content outside the lab (/etc/shadow, ../../etc/shadow)', async () => {
    for (const p of ['/etc/shadow', '../../../../../../../etc/shadow']) {
      const f = suite('shadow.yaml', GOOD.replace('examples/content/channel-290.txt', p));
      refused(await run(f), f, /:9: content\[0\]\.path: content file .*shadow.* is outside the lab root .*: move it into the lab, or set allowOutside: true in the suite$/);
    }
  });
  it('content that is /dev/zero or a FIFO does not hang the run', async () => {
    const zero = suite('zero.yaml', `${GOOD.replace('examples/content/channel-290.txt', '/dev/zero')}allowOutside: true\n`);
    refused(await run(zero), zero, ':9: content[0].path: content must be a regular file: /dev/zero is a character device');
    execFileSync('mkfifo', [join(lab, 'examples/content/fifo.txt')]);
    const fifo = suite('fifo-content.yaml', GOOD.replace('channel-290.txt', 'fifo.txt'));
    refused(await run(fifo), fifo, `:9: content[0].path: content must be a regular file: ${join(lab, 'examples/content/fifo.txt')} is a FIFO (named pipe)`);
  }, 10_000);
  it('two agents whose cells would share one folder', async () => {
    const f = suite(
      'clash.yaml',
      GOOD.replace(/agent:\n[\s\S]*?content:/, 'agents:\n  - { name: sensor-2, kind: linux-kmod, builds: [{ version: "1", source: examples/agents/sensor-kmod }] }\n  - { name: sensor, kind: linux-kmod, builds: [{ version: "2-1", source: examples/agents/sensor-kmod }] }\ncontent:'),
    );
    refused(await run(f), f, `:5: agents[1].builds[0]: agent sensor build 2-1 makes the same cell id (<image>__sensor-2-1__content-290) as agents[0].builds[0] at ${f}:4: rename one of them`);
  });
  it('timers out of range: timeout 0, 600h, 1e308', async () => {
    for (const t of ['0', '600h', '1e308']) {
      const f = suite('timeout.yaml', `${GOOD}boot: { timeout: ${t} }\n`);
      refused(await run(f), f, /:10: boot\.timeout: /);
    }
  });
  it('kernel arguments that would silence the crash capture', async () => {
    const f = suite('args.yaml', `${GOOD}boot: { kernelArgs: [rcupdate.rcu_cpu_stall_timeout=60, nokaslr, oops=continue] }\n`);
    refused(await run(f), f, ":10: boot.kernelArgs[2]: refused: oops=continue: oops=panic is the lab's, set by boot.panicOnOops");
  });
});

describe('hostile run files and output paths', () => {
  const results = join(lab, 'results-fixtures');
  const put = (name: string, r: RunResult): string => {
    const d = join(results, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'run.json'), JSON.stringify(r));
    return d;
  };
  const good = () => fixtureRun();

  it('a junk startedAt in run.json: exit 2 naming the file and field', async () => {
    const d = put('junk-date', { ...good(), startedAt: 'yesterday-ish' });
    for (const args of [['gate', d], ['report', d, '--reporter', 'junit'], ['compare', d, put('ok', good())]]) {
      const r = await bootgate(args);
      refused(r, join(d, 'run.json'), ': startedAt: not a bootgate.run/v1 file: not an ISO 8601 date-time (e.g. 2026-01-10T10:00:00.000Z)');
    }
    const cell = good();
    cell.cells[0]!.cycles[0]!.startedAt = '2026-13-45T99:00:00Z';
    refused(await bootgate(['gate', put('junk-cycle', cell)]), join(results, 'junk-cycle', 'run.json'), /: cells\.0\.cycles\.0\.startedAt: not a bootgate\.run\/v1 file: not an ISO 8601/);
  });
  it('gate.json that is a directory', async () => {
    const d = put('gate-dir', good());
    mkdirSync(join(d, 'gate.json'));
    refused(await bootgate(['gate', d]), join(d, 'gate.json'), ': cannot write gate.json (EISDIR: is a directory)');
  });
  it('compare --markdown into /proc does not spin', async () => {
    const a = put('a', good());
    refused(await bootgate(['compare', a, a, '--markdown', '/proc/bootgate-nope/x.md']), '/proc/bootgate-nope/x.md', ': cannot write the Markdown (ENOENT: no such file or folder)');
  }, 10_000);
  it('bootgate detect on a directory', async () => {
    refused(await bootgate(['detect', lab]), lab, ': is a directory, not a file');
  });
  it('bootgate detect reads a pipe (a FIFO, <(zcat log.gz)) once, from its start', async () => {
    const log = readFileSync(join(ROOT, 'test/fixtures/sensor-291-debian-6.1.log'));
    const fifo = join(lab, 'evidence.fifo');
    execFileSync('mkfifo', [fifo]);
    const running = bootgate(['detect', fifo]);
    createWriteStream(fifo).end(log);
    const r = await running;
    expect(r.stdout).toMatch(/1 crash record\(s\) \(linux-console\)/);
    expect(r.code).toBe(1);
  });
});
