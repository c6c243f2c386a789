/**
 * The QEMU side of a Windows cell, through runSuite with the real qemu provider: a user-disk
 * recipe on an empty qcow2 (no Windows exists here), so OVMF with swtpm starts under TCG, finds
 * nothing to boot, and SSH never answers. The cell must end as a clear boot error (verdict error,
 * exit 3, a boot-timeout record; no stack trace) with the VM, swtpm and the overlay gone. One boot
 * with a short timeout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Machine, MachineEvent, MachineSpec, Provider } from '../harness/providers/provider.js';
import { createProvider } from '../harness/providers/registry.js';
import { runSchema } from '../harness/results/schema.js';
import { runSuite } from '../harness/run/run-suite.js';
import { SCRATCH_PREFIX } from '../harness/run/leftovers.js';

const pgrep = (pattern: string) => spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim();

let lab = '';
afterAll(async () => {
  if (lab) await rm(lab, { recursive: true, force: true });
});

describe('a Windows cell on real QEMU (OVMF, swtpm, TCG) with a disk that holds no OS', () => {
  it('boots the firmware, then ends as a boot error without SSH, leaving no VM, swtpm or overlay', { timeout: 300_000 }, async () => {
    lab = await mkdtemp(join(tmpdir(), 'bootgate-winqemu-'));
    await mkdir(join(lab, 'images'));
    await mkdir(join(lab, 'drv'));
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(lab, 'empty.qcow2'), '1G']);
    await writeFile(join(lab, 'images/win-empty.yaml'), 'name: win-empty\nos: windows\nuserland: user-disk\ndisk: ../empty.qcow2\nmemoryMiB: 2048\ncpus: 1\nwindows: { version: 10, tpm: true }\n');
    // An x64 PE32+ native image: the driver check passes, the cell never gets to install it.
    const sys = Buffer.alloc(1024);
    sys.write('MZ', 0, 'latin1');
    sys.writeUInt32LE(0x80, 0x3c);
    sys.write('PE\0\0', 0x80, 'latin1');
    sys.writeUInt16LE(0x8664, 0x84);
    sys.writeUInt16LE(0x20b, 0x98);
    sys.writeUInt16LE(1, 0x98 + 68);
    await writeFile(join(lab, 'drv/sensor.sys'), sys);
    await writeFile(join(lab, 'channel.bin'), 'channel 290\n');
    const suite = join(lab, 'win.yaml');
    await writeFile(
      suite,
      'name: win-qemu\nimages: [win-empty]\nagent:\n  name: sensor\n  kind: windows-driver\n  builds:\n    - { version: "1.0.0", source: drv }\ncontent:\n  - { version: "290", path: channel.bin }\nboot: { baseline: 1, cycles: 1, timeout: 60s, retries: 0 }\n',
    );

    // The real provider, watched: what it was asked to start and what the machine reported.
    const real = createProvider('qemu')!;
    const specs: MachineSpec[] = [];
    const events: MachineEvent[] = [];
    let machine: Machine | undefined;
    const provider: Provider = {
      name: real.name,
      hostTools: real.hostTools,
      versions: () => real.versions(),
      describe: () => real.describe(),
      createOverlay: (b, o, s) => real.createOverlay(b, o, s),
      start: async (spec, signal) => {
        specs.push(spec);
        machine = await real.start(spec, signal);
        machine.onEvent((e) => events.push(e));
        // QMP answers: a reset from the host (system_reset) comes back as its RESET event.
        await machine.hostReset();
        return machine;
      },
    };
    const r = await runSuite({ suiteFile: suite, resultsDir: join(lab, 'results'), cacheDir: join(lab, 'cache'), root: lab, provider, emit: () => {}, signal: new AbortController().signal });

    expect(r.exitCode).toBe(3);
    const cell = runSchema.parse(JSON.parse(await readFile(join(r.runDir, 'run.json'), 'utf8'))).cells[0]!;
    expect(cell.verdict).toBe('error');
    expect(cell.image.entry).toBe('uefi');
    expect(cell.baseline).toHaveLength(1);
    expect(cell.baseline[0]).toMatchObject({ kind: 'cold', booted: false, outcome: 'timeout' });
    expect(cell.baseline[0]!.crash!.title).toBe('boot timeout: SSH did not answer from a new boot');
    expect(cell.reason).toMatch(/baseline boot 1 without the agent failed/);
    expect(cell.reason).not.toMatch(/cleanup/);
    expect(cell.stopped).toBeUndefined();
    expect(cell.install).toBeUndefined();

    // The machine: UEFI with the Windows profile and a TPM, on the cell's overlay of the empty disk.
    expect(specs).toHaveLength(1);
    expect(specs[0]!.boot).toEqual({ kind: 'uefi', profile: 'windows', secureBoot: false, tpm: true, nic: 'e1000e', diskBus: 'sata' });
    expect(basename(specs[0]!.disk)).toBe('disk.qcow2');
    // The firmware ran: OVMF clears the serial console (ESC [2J), then prints its boot attempts (BdsDxe: ... Sata(...): Not Found).
    const consoleText = await readFile(join(r.runDir, cell.baseline[0]!.consoleLog), 'latin1');
    expect(consoleText).toMatch(/\x1b\[2J|BdsDxe/);
    expect(machine!.accel).toBe('tcg');
    expect(events.some((e) => e.type === 'reset' && !e.guest)).toBe(true);
    expect(events.some((e) => e.type === 'panic')).toBe(false);

    // Nothing left: no QEMU of this run, no swtpm, no scratch folder (overlay and VM files).
    const vmDir = specs[0]!.workDir;
    expect(machine!.running).toBe(false);
    expect(pgrep(`bootgate-${basename(r.runDir)}`)).toBe('');
    expect(pgrep(`swtpm.*${vmDir}`)).toBe('');
    expect(existsSync(specs[0]!.disk)).toBe(false);
    // A cell's scratch folder is named for its run (run/cell-runner.ts); other runs on the host have their own.
    expect((await readdir(tmpdir())).filter((n) => n.startsWith(`${SCRATCH_PREFIX}${basename(r.runDir)}-`))).toEqual([]);
  });
});
