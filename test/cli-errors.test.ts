import { cpSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL_SUITE } from './fixtures/minimal-suite.js';
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
