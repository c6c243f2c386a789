/**
 * A Windows cell through runSuite, the code `bootgate run` runs, with only the machine swapped:
 * the provider is test/doubles/fake-windows-provider.ts (the in-process fake Windows OpenSSH
 * server, QMP event JSON from QEMU's formats). The image is a user-disk recipe on a real (empty)
 * qcow2, the driver a PE32+ .sys, the run folder and run.json real. No VM boots here.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { witnessesOf } from '../harness/detect/windows/bugcheck-merge.js';
import { ensureLabKey, type LabKey } from '../harness/guest/lab-keys.js';
import { runSuite, type SuiteRun } from '../harness/run/run-suite.js';
import type { RunEvent } from '../harness/run/events.js';
import { runSchema } from '../harness/results/schema.js';
import { FakeWindowsProvider, type BootPlan } from './doubles/fake-windows-provider.js';
import type { FakeWindows } from './doubles/fake-windows-sshd.js';
// @ts-expect-error: plain JS fixture generator (no type declarations)
import { dumpHeader64 } from './fixtures/windows-dumps.mjs';

let lab: string;
let cache: string;
let labKey: LabKey;
const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;

/** The PE fields the driver check reads: an x64 (0x8664) PE32+ (0x20b) image for the native subsystem (1). */
function driverSys(): Buffer {
  const b = Buffer.alloc(1024);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(0x8664, 0x84);
  b.writeUInt16LE(0xf0, 0x80 + 20);
  b.writeUInt16LE(0x20b, 0x98);
  b.writeUInt16LE(1, 0x98 + 68);
  return b;
}

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), 'bootgate-winrun-'));
  cache = join(lab, 'cache');
  labKey = await ensureLabKey(join(cache, 'lab'));
  await mkdir(join(lab, 'images'));
  await mkdir(join(lab, 'suites'));
  await mkdir(join(lab, 'drivers/sensor'), { recursive: true });
  await mkdir(join(lab, 'content'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(lab, 'win10.qcow2'), '1G']);
  await writeFile(join(lab, 'images/win10-fake.yaml'), 'name: win10-fake\nos: windows\nuserland: user-disk\ndisk: ../win10.qcow2\nmemoryMiB: 2048\ncpus: 1\nwindows: { version: 10 }\n');
  await writeFile(join(lab, 'drivers/sensor/sensor.sys'), driverSys());
  await writeFile(join(lab, 'content/channel-290.bin'), 'channel 290\n');
  await writeFile(join(lab, 'content/channel-291.bin'), 'channel 291 BUGCHECK\n');
});

afterAll(async () => {
  await rm(lab, { recursive: true, force: true });
});

/** A suite of the sensor driver with one content version on the fake Windows image. */
async function suite(name: string, content: '290' | '291', boot: string): Promise<string> {
  const file = join(lab, 'suites', `${name}.yaml`);
  await writeFile(
    file,
    [
      `name: ${name}`,
      'images: [win10-fake]',
      'agent:',
      '  name: sensor',
      '  kind: windows-driver',
      '  builds:',
      '    - { version: "2.1.0", source: drivers/sensor }',
      'content:',
      `  - { version: "${content}", path: content/channel-${content}.bin }`,
      `boot: { ${boot} }`,
      'gate: { bootSuccess: 1.0, maxCrashes: 0 }',
      '',
    ].join('\n'),
  );
  return file;
}

/** The content the installed driver reads at boot names a bugcheck: it faults with the agent installed and started. */
const contentCrashes = (fake: FakeWindows) => fake.services.get('sensor') !== undefined && (fake.readFile('C:\\ProgramData\\sensor\\channel.bin')?.toString().includes('BUGCHECK') ?? false);

let paramSeq = 0x1000n;
/** A bugcheck with its own parameters (they differ per crash: KASLR), and MEMORY.DMP and a minidump whose headers say the same. */
function bugcheck(code: number) {
  const params: [bigint, bigint, bigint, bigint] = [0xffffffffc0000005n, 0xfffff80312340000n + paramSeq++, 0xffffd000a1b2c3d4n, 0n];
  return { code, params, dump: dumpHeader64({ code, params }) as Buffer, minidump: dumpHeader64({ code, params, dumpType: 4 }) as Buffer };
}

async function run(file: string, provider: FakeWindowsProvider): Promise<{ r: SuiteRun; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const r = await runSuite({ suiteFile: file, resultsDir: join(lab, 'results'), cacheDir: cache, root: lab, provider, concurrency: 1, emit: (e) => events.push(e), signal: new AbortController().signal });
  return { r, events };
}

const BOOT = 'baseline: 1, cycles: 3, timeout: 60s, reboot: warm, bootLoop: 2, settle: 200ms, soak: 1s';

describe('a Windows cell through runSuite against the fake Windows guest', { timeout: 120_000 }, () => {
  it('a driver that passes: baseline, sc.exe install and content, warm reboots over shutdown /r, RUNNING every boot', async () => {
    const provider = new FakeWindowsProvider({ labPublicKey: labKey.publicKey, hostKey, plan: () => undefined });
    const { r } = await run(await suite('win-pass', '290', BOOT), provider);
    expect(r.exitCode).toBe(0);
    const run1 = runSchema.parse(JSON.parse(await readFile(join(r.runDir, 'run.json'), 'utf8')));
    const cell = run1.cells[0]!;
    expect(cell.verdict).toBe('pass');
    expect(cell.image.entry).toBe('uefi');
    expect(cell.install?.ok).toBe(true);
    expect(cell.baseline.map((c) => c.outcome)).toEqual(['ready']);
    expect(cell.cycles.map((c) => [c.kind, c.outcome, c.health?.ok])).toEqual([
      ['warm', 'ready', true],
      ['warm', 'ready', true],
      ['warm', 'ready', true],
    ]);
    // Each boot is a new LastBootUpTime; the health is sc.exe's query block.
    expect(new Set([...cell.baseline, ...cell.cycles].map((c) => c.bootId)).size).toBe(4);
    expect(cell.cycles[0]!.health!.output).toMatch(/STATE\s+: 4\s+RUNNING/);
    // Boot time is from the reset to SSH answering from the new boot: what boot overhead compares.
    for (const c of [...cell.baseline, ...cell.cycles]) expect(c.bootMs).toBeGreaterThan(1000);
    // One machine, UEFI with the Windows profile; the guest rebooted itself each time (no host reset).
    expect(provider.specs).toHaveLength(1);
    expect(provider.specs[0]!.boot).toMatchObject({ kind: 'uefi', profile: 'windows' });
    const m = provider.machines[0]!;
    expect(m.qmp.filter((l) => l.includes('"RESET"')).every((l) => l.includes('"guest": true'))).toBe(true);
    const cmds = m.fake.nativeCommands.join('\n');
    expect(cmds).toMatch(/sc\.exe create sensor type= kernel start= boot binpath= C:\\Windows\\System32\\drivers\\sensor\.sys/);
    expect(cmds.match(/shutdown\.exe \/r \/t 0/g)).toHaveLength(3);
    expect(m.fake.readFile('C:\\ProgramData\\sensor\\channel.bin')?.toString()).toBe('channel 290\n');
    expect(m.running).toBe(false);
  });

  it('content that bugchecks at every boot (hv-crash): a boot loop, GUEST_PANICKED, event log and dump folded into one record per boot', async () => {
    const plan = (fake: FakeWindows): BootPlan => (contentCrashes(fake) ? { bugcheck: bugcheck(0x7e), when: 'after-health' } : undefined);
    const provider = new FakeWindowsProvider({ labPublicKey: labKey.publicKey, hostKey, hvCrash: true, plan });
    const { r } = await run(await suite('win-loop', '291', BOOT.replace('bootLoop: 2', 'bootLoop: 3').replace('cycles: 3', 'cycles: 5')), provider);
    expect(r.exitCode).toBe(1);
    const cell = runSchema.parse(JSON.parse(await readFile(join(r.runDir, 'run.json'), 'utf8'))).cells[0]!;
    expect(cell.verdict).toBe('fail');
    expect(cell.bootLoop).toBe(true);
    expect(cell.cycles).toHaveLength(3);
    for (const c of cell.cycles) {
      expect(c.booted).toBe(false);
      expect(c.crash).toMatchObject({ class: 'bugcheck', code: '0x0000007E', name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED' });
    }
    // The first two were read again after the next boot came up: each bugcheck once, with every witness.
    for (const c of cell.cycles.slice(0, 2)) expect(witnessesOf(c.crash!).sort()).toEqual(['dump', 'event-log', 'hyperv-crash']);
    // The last one only by GUEST_PANICKED: no later boot read the guest's records.
    expect(cell.cycles[2]!.crash!.source).toBe('hyperv-crash');
    // Three different crashes (parameters differ), not six or nine.
    expect(new Set(cell.cycles.map((c) => c.crash!.params!.join()))).toHaveProperty('size', 3);
    expect(provider.machines[0]!.qmp.filter((l) => l.includes('GUEST_PANICKED') && l.includes('"hyper-v"'))).toHaveLength(3);
    expect(r.run.crashes.length).toBeGreaterThan(0);
  });

  it('a bugcheck seen only after the reboot (TCG: no hv-crash): the reset boot gets its name from the event log and MEMORY.DMP', async () => {
    let crashed = false;
    // The new content makes the driver fault at its first start only (before SSH), then it runs.
    const plan = (fake: FakeWindows): BootPlan => (contentCrashes(fake) && !crashed ? ((crashed = true), { bugcheck: bugcheck(0x50), when: 'before-ssh' }) : undefined);
    const provider = new FakeWindowsProvider({ labPublicKey: labKey.publicKey, hostKey, plan });
    const { r } = await run(await suite('win-after', '291', BOOT), provider);
    expect(r.exitCode).toBe(1);
    const cell = runSchema.parse(JSON.parse(await readFile(join(r.runDir, 'run.json'), 'utf8'))).cells[0]!;
    expect(cell.verdict).toBe('fail');
    expect(cell.bootLoop).toBeUndefined();
    expect(cell.cycles.map((c) => c.booted)).toEqual([false, true, true]);
    const first = cell.cycles[0]!.crash!;
    expect(first).toMatchObject({ class: 'bugcheck', code: '0x00000050', name: 'PAGE_FAULT_IN_NONPAGED_AREA' });
    expect(witnessesOf(first).sort()).toEqual(['dump', 'event-log']);
    expect(first.excerpt).toMatch(/while it happened: guest reset before ready/);
    // Both dumps' headers were read, and told the same bugcheck as the two events.
    const reads = provider.machines[0]!.fake.scripts.filter((x) => /New-Object byte\[\] 8192/.test(x)).join('\n');
    expect(reads).toMatch(/MEMORY\.DMP/);
    expect(reads).toMatch(/Minidump\\113026-\d+-01\.dmp/);
    expect(cell.cycles.slice(1).every((c) => c.crash === undefined && c.health?.ok)).toBe(true);
    expect(provider.machines[0]!.qmp.some((l) => l.includes('GUEST_PANICKED'))).toBe(false);
  });
});
