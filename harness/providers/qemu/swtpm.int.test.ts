/**
 * Real processes: Debian's swtpm, and qemu-system-x86_64 + Debian's OVMF started with
 * windowsQemuArgs(). No Windows is booted (there is none on this machine): the VM boots OVMF from
 * pflash against an empty disk, which proves that QEMU accepts the Windows command line, that the
 * disk sits on the AHCI controller, and that the TPM is wired through swtpm. Skipped with a reason
 * when swtpm, OVMF or QEMU is not installed (scripts/setup.sh installs QEMU; `apt-get install swtpm
 * ovmf` for the rest).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chooseAccel } from './accel.js';
import { freeLoopbackPort } from './free-port.js';
import { QmpClient } from './qmp-client.js';
import { startSwtpm, type SwtpmProcess } from './swtpm.js';
import { OVMF_FILES, prepareWindowsFirmware, windowsQemuArgs } from './windows-args.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const haveSwtpm = has('swtpm');
const haveQemu = has('qemu-system-x86_64') && has('qemu-img');
const haveOvmf = existsSync(OVMF_FILES.code) && existsSync(OVMF_FILES.varsTemplate);

let dir: string;
const started: SwtpmProcess[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Short: the control socket path must fit in 107 bytes.
  dir = await mkdtemp(join(tmpdir(), 'bg-tpm-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(started.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Sends one swtpm control command (big-endian u32 code) and returns the raw response. */
function ctrl(socket: string, cmd: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket, () => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(cmd);
      s.write(b);
    });
    s.once('data', (d: Buffer) => {
      s.end();
      resolve(d);
    });
    s.once('error', reject);
  });
}

describe.skipIf(!haveSwtpm)('swtpm (real process)', () => {
  it('starts, answers on its control socket, and stops', async () => {
    const state = join(dir, 'a');
    const socket = join(state, 'swtpm.sock');
    const p = await startSwtpm({ stateDir: state, ctrlSocket: socket, terminate: false });
    started.push(p);
    expect(p.running).toBe(true);
    expect((await stat(socket)).isSocket()).toBe(true);
    expect(((await stat(state)).mode & 0o777).toString(8)).toBe('700');
    // CMD_GET_CAPABILITY (1): a u32 result (0 = success) then the capability bits.
    const r = await ctrl(socket, 1);
    expect(r.length).toBeGreaterThanOrEqual(8);
    expect(r.readUInt32BE(0)).toBe(0);
    expect(r.readUInt32BE(r.length - 4)).not.toBe(0);
    await p.stop();
    await p.stop(); // idempotent
    expect(p.running).toBe(false);
    expect(existsSync(socket)).toBe(false);
    expect(() => process.kill(p.pid!, 0)).toThrow();
  });

  it('stops the process when the signal aborts after the start', async () => {
    const ac = new AbortController();
    const state = join(dir, 'b');
    const p = await startSwtpm({ stateDir: state, ctrlSocket: join(state, 's'), signal: ac.signal });
    started.push(p);
    ac.abort();
    // swtpm handles SIGTERM and exits 0.
    const exit = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
    expect(exit).not.toBe('still running');
    expect(p.running).toBe(false);
  });

  it('fails with ABORTED on an aborted start and leaves no process', async () => {
    const ac = new AbortController();
    ac.abort();
    const state = join(dir, 'c');
    await expect(startSwtpm({ stateDir: state, ctrlSocket: join(state, 's'), signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('reports an early exit with what swtpm printed', async () => {
    const state = join(dir, 'd');
    // A --log file in a folder that does not exist makes swtpm exit at once.
    const e = await startSwtpm({ stateDir: state, ctrlSocket: join(state, 's'), logFile: join(dir, 'no', 'such', 'log') }).catch((x) => x);
    expect(e.code).toBe('SWTPM');
    expect(e.message).toMatch(/exited at start/);
  });
});

describe('swtpm: missing binary', () => {
  it('fails with HOST_TOOL_MISSING', async () => {
    const state = join(dir, 'e');
    const e = await startSwtpm({ stateDir: state, ctrlSocket: join(state, 's'), binary: 'bootgate-no-such-swtpm' }).catch((x) => x);
    expect(e.code).toBe('HOST_TOOL_MISSING');
    expect(e.message).toMatch(/apt-get install swtpm/);
  });
});

describe.skipIf(!haveSwtpm || !haveQemu || !haveOvmf)('QEMU accepts windowsQemuArgs (OVMF + swtpm, no Windows)', () => {
  it('boots OVMF from pflash, sees the AHCI disk, attaches the TPM; swtpm ends with QEMU', async () => {
    const work = join(dir, 'vm');
    const tpmState = join(work, 'tpm');
    const disk = join(work, 'disk.qcow2');
    const qmpSocket = join(work, 'qmp.sock');
    await rm(work, { recursive: true, force: true });
    const firmwareDir = join(work, 'fw');
    await mkdir(firmwareDir, { recursive: true });
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']).status).toBe(0);
    const firmware = await prepareWindowsFirmware(firmwareDir, false);
    const tpm = await startSwtpm({ stateDir: tpmState, ctrlSocket: join(tpmState, 'swtpm.sock') });
    started.push(tpm);
    const { accel } = await chooseAccel();
    const sshPort = await freeLoopbackPort();
    const args = windowsQemuArgs({
      spec: { name: 'wintest', workDir: work, disk, boot: { kind: 'uefi', profile: 'windows', tpm: true }, memoryMiB: 512, cpus: 1, guestSshPort: 22 },
      accel,
      qmpSocket,
      sshPort,
      firmware,
      tpmSocket: tpm.socket,
      diskFormat: 'qcow2',
    });
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(qemu);
    let consoleText = '';
    let stderr = '';
    qemu.stdout!.setEncoding('utf8').on('data', (d: string) => (consoleText += d));
    qemu.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const qemuExit = new Promise<number | null>((r) => qemu.once('exit', (c) => r(c)));

    const qmp = await QmpClient.connect(qmpSocket, { timeoutMs: 15_000 });
    try {
      const tpms = await qmp.execute<Array<{ model: string; id: string; options: { type: string; data: { chardev: string } } }>>('query-tpm');
      expect(tpms).toEqual([{ model: 'tpm-tis', id: 'tpm0', options: { type: 'emulator', data: { chardev: 'chrtpm' } } }]);
      expect(await qmp.execute('query-status')).toMatchObject({ running: true });

      // OVMF's boot manager tries the disk first: proof that UEFI runs from pflash and that the
      // disk is the AHCI (PCI 1f.2, SATA port 0) boot device.
      const end = Date.now() + 90_000;
      const seen = () => /BdsDxe: failed to load Boot\d+ "UEFI QEMU HARDDISK[^"]*" from PciRoot\(0x0\)\/Pci\(0x1F,0x2\)\/Sata\(0x0,/.test(consoleText);
      while (!seen() && Date.now() < end && qemu.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(seen(), `console so far:\n${consoleText.slice(-2000)}\nstderr:\n${stderr}`).toBe(true);
      // The firmware initialised the TPM: swtpm wrote its permanent state.
      expect(await readdir(tpmState)).toContain('tpm2-00.permall');
      // The per-VM variable store, not the template, is what QEMU opened read-write.
      expect(firmware.vars.startsWith(firmwareDir)).toBe(true);
      await qmp.execute('quit').catch(() => undefined);
    } finally {
      qmp.close();
    }
    expect(await qemuExit).toBe(0);
    // --terminate: swtpm leaves with its QEMU.
    const tpmExit = await Promise.race([tpm.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(tpmExit).not.toBe('still running');
    expect(stderr).not.toMatch(/error/i);
  });
});
