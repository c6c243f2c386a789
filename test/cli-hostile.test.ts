/**
 * Hostile suites, logs and run files (issue #14): each gets one line naming file, line and
 * field, exit 2; never a hang, a stack trace or "internal error". No test here boots a guest:
 * every suite is refused before preparation.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, type CliResult } from './cli-helpers.js';

const lab = mkdtempSync(join(tmpdir(), 'bootgate-hostile-'));
mkdirSync(join(lab, 'suites'));
mkdirSync(join(lab, 'examples/agents/sensor-kmod'), { recursive: true });
mkdirSync(join(lab, 'examples/content'), { recursive: true });
writeFileSync(join(lab, 'examples/agents/sensor-kmod/Kbuild'), 'obj-m := sensor.o\n');
writeFileSync(join(lab, 'examples/content/channel-290.txt'), 'channel 290\n');

const GOOD = `name: t
images: [debian-6.1-generic]
agent:
  name: sensor
  kind: linux-kmod
  builds:
    - { version: "2.1.0", source: examples/agents/sensor-kmod }
content:
  - { version: "290", path: examples/content/channel-290.txt }
`;

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
