import { cpSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';
import { fixtureRun } from './fixtures/report-run.js';
import { bootgate, ROOT } from './cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootgate-cli-'));
mkdirSync(join(dir, 'suites'));
// The agent and content inside the lab: a suite's paths must resolve there (or say allowOutside).
cpSync(join(ROOT, 'examples/agents/sensor-kmod'), join(dir, 'examples/agents/sensor-kmod'), { recursive: true });
cpSync(join(ROOT, 'examples/content/channel-290.txt'), join(dir, 'examples/content/channel-290.txt'));
const suite = (name: string, text: string) => {
  const f = join(dir, 'suites', name);
  writeFileSync(f, text);
  return f;
};
const GOOD = MINIMAL_SUITE;

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('bad input: one clear message, exit 2, no stack trace', () => {
  it('a missing suite file', async () => {
    const r = await bootgate(['run', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(dir, 'nope.yaml')}: no such file\n`);
  });
  it('malformed YAML', async () => {
    const r = await bootgate(['run', suite('bad.yaml', 'name: t\nimages: [x\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+: YAML syntax error/);
    noStack(r.stderr);
  });
  it('a type error names file, line and field', async () => {
    const r = await bootgate(['run', suite('type.yaml', `${GOOD}boot: { cycles: "many" }\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/type\.yaml:10: boot\.cycles: /);
  });
  it('an unknown image names the line of the image', async () => {
    const r = await bootgate(['run', suite('img.yaml', GOOD.replace('debian-6.1-generic', 'windows-95'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/img\.yaml:2: images\[0\]: unknown image windows-95 \(known: .*debian-6\.1-generic/);
  });
  it('an agent kind of another OS than the image names the kind, before any image is built', async () => {
    const r = await bootgate(['run', suite('os.yaml', GOOD.replace('kind: linux-kmod', 'kind: windows-driver'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bootgate: error: ${join(dir, 'suites', 'os.yaml')}:5: agent.kind: debian-6.1-generic is a linux image; a windows-driver agent runs on windows (split the suite, or narrow its images)\n`);
  });
  it('an agent kind no registry has lists the kinds there are', async () => {
    const r = await bootgate(['run', suite('kind.yaml', GOOD.replace('kind: linux-kmod', 'kind: macos-kext'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kind\.yaml:5: agent\.kind: .*linux-kmod.*linux-ebpf.*windows-driver/);
  });
  it('a missing content file names the line of its path', async () => {
    const r = await bootgate(['run', suite('content.yaml', GOOD.replace('channel-290.txt', 'channel-404.txt'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/content\.yaml:9: content\[0\]\.path: content file not found: .*channel-404\.txt/);
  });
  it('every problem of a suite at once, each at its own line, with the key a slip was meant for', async () => {
    const bad = GOOD.replace('images:', 'imagse:').replace('kind: linux-kmod', 'kind: linux-kmd') + 'boot:\n  cycles: many\n  timout: 90s\nfoo: 1\n';
    const f = suite('many.yaml', bad);
    const r = await bootgate(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toEqual([
      `bootgate: error: ${f}:2: imagse: unknown key: did you mean \`images\`? (\`images\` is required and missing)`,
      `bootgate: error: ${f}:5: agent.kind: Invalid option: expected one of "linux-kmod"|"linux-ebpf"|"windows-driver"; did you mean \`linux-kmod\`?`,
      `bootgate: error: ${f}:11: boot.cycles: Invalid input: expected number, received string`,
      `bootgate: error: ${f}:12: boot.timout: unknown key: did you mean \`timeout\`?`,
      `bootgate: error: ${f}:13: foo: unknown key (known here: name, allowOutside, description, images, agent, agents, content, boot, matrix, workloads, lifecycle, gate, repeat, provider, concurrency, recover, rollout)`,
      '',
    ]);
  });
  it('more problems than are shown: the first 20, then how many more', async () => {
    const f = suite('lots.yaml', GOOD + Array.from({ length: 23 }, (_, i) => `extra${i}: 1\n`).join(''));
    const r = await bootgate(['run', f]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(`bootgate: error: ${f}:10: extra0: unknown key (known here: name, allowOutside, description, images, agent, agents, content, boot, matrix, workloads, lifecycle, gate, repeat, provider, concurrency, recover, rollout)`);
    expect(lines[19]).toMatch(new RegExp(`^bootgate: error: .*lots\\.yaml:29: extra19: unknown key`));
    expect(lines[20]).toBe(`bootgate: error: ${f}: 3 more errors not shown (fix these and run again)`);
  });
  it('a policy file gets the same: every problem at its line, did you mean', async () => {
    const run = join(dir, 'run-for-policy');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify(fixtureRun(), null, 2));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'bootSucess: 1\nmaxCrashes: none\noverheadBound: uper\n');
    const r = await bootgate(['gate', run, '--policy', policy]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toEqual([
      `bootgate: error: ${policy}:1: bootSucess: unknown key: did you mean \`bootSuccess\`?`,
      `bootgate: error: ${policy}:2: maxCrashes: Invalid input: expected number, received string`,
      `bootgate: error: ${policy}:3: overheadBound: Invalid option: expected one of "upper"|"median"; did you mean \`upper\`?`,
      '',
    ]);
  });
  it('an unknown command or flag is a usage error', async () => {
    expect((await bootgate(['launch'])).code).toBe(2);
    expect((await bootgate(['run', 'x.yaml', '--concurrency', 'lots'])).code).toBe(2);
    // Subcommands built on their own must keep the contract too.
    expect((await bootgate(['gate'])).code).toBe(2);
    expect((await bootgate(['images', 'frob'])).code).toBe(2);
    expect((await bootgate(['compare', 'only-one'])).code).toBe(2);
  });
});

describe('doctor', () => {
  it('says what to install when QEMU is missing, exit 3', async () => {
    // A PATH with a shell and nothing else: QEMU is not on it.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = await bootgate(['doctor'], { env: { PATH: bin } });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/MISSING qemu-system-x86_64 .*\(Debian package qemu-system-x86\)/);
    expect(r.stdout).toMatch(/to fix: apt-get update && apt-get install -y .*qemu-system-x86/);
  });
});
