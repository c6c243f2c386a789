import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeWindows } from '../../../test/doubles/fake-windows-sshd.js';
import { ensureLabKey, type LabKey } from '../lab-keys.js';
import { guestOsFor } from '../registry.js';
import { SshTransport, waitForSsh } from '../ssh-transport.js';
import { WindowsGuest } from './windows-guest-os.js';
import { runSelftest } from '../../measure/selftest.js';

// The Windows adapter of the cell runner, through a real ssh2 client against an in-process server
// that answers as Windows does (test/doubles/fake-windows-sshd.ts). Not run on a real Windows.
let dir: string;
let labKey: LabKey;
const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bootgate-winos-'));
  labKey = await ensureLabKey(join(dir, 'lab'));
});
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sshOpts = (port: number) => ({ host: '127.0.0.1', port, username: 'Administrator', privateKey: labKey.privateKey, readyTimeoutMs: 5000 });

async function guest() {
  const f = await FakeWindows.start({ labPublicKey: labKey.publicKey, hostKey });
  open.push(f);
  const t = await SshTransport.connect(sshOpts(f.port));
  open.push(t);
  return { f, t };
}

describe('WindowsGuest: what the cell runner asks of a Windows guest', () => {
  it('is the registry\'s adapter for windows', () => {
    expect(guestOsFor('windows')).toBeInstanceOf(WindowsGuest);
    expect(guestOsFor('windows').name).toBe('windows');
  });

  it('names the boot by LastBootUpTime, and a reboot it asked for gives a new one', async () => {
    const { f, t } = await guest();
    const g = new WindowsGuest();
    const before = await g.bootId(t);
    expect(before).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(await g.bootId(t)).toBe(before);
    await g.requestReboot(t);
    // The request does not wait for shutdown.exe: the guest goes down on its own time.
    await expect.poll(() => f.bootCount, { timeout: 10_000 }).toBe(2);
    const t2 = await waitForSsh({ ...sshOpts(f.port), deadlineMs: 10_000, backoff: { initialMs: 100, maxMs: 200 } });
    open.push(t2);
    expect(f.nativeCommands).toEqual(['shutdown.exe /r /t 0']);
    expect(await g.bootId(t2)).not.toBe(before);
  });

  it("runs an agent's self-test as a PowerShell script: its TAP (CRLF, as Windows writes it) and exit code are recorded", async () => {
    const { f, t } = await guest();
    const script = ["Write-Output 'TAP version 14'", "Write-Output '1..2'", "Write-Output 'ok 1 - driver loaded'", "Write-Output 'not ok 2 - channel file read'", 'exit 3'].join('\n');
    const rec = await runSelftest(t, new WindowsGuest(), { command: script, timeoutMs: 10_000 });
    expect(f.scripts.at(-1)).toBe(script);
    expect(rec).toMatchObject({ ok: false, exitCode: 3, summary: { count: 2, pass: 1, fail: 1 }, problems: ['exited 3', 'not ok 2 - channel file read'] });
    expect(rec.points.map((p) => p.description)).toEqual(['driver loaded', 'channel file read']);
  });

  it('reads free memory (KiB) and the nonpaged pool (bytes, as KiB)', async () => {
    const { f, t } = await guest();
    f.memory = { freeKiB: 2_000_000, nonpagedBytes: 150 * 1024 * 1024 + 512 };
    expect(await new WindowsGuest().memory(t)).toEqual({ availableKiB: 2_000_000, kernelKiB: 150 * 1024 });
  });

  it('refuses workloads with a lab error: the workload program is a Linux binary', async () => {
    const { t } = await guest();
    await expect(new WindowsGuest().installWorkloadProgram(t, '/x', undefined)).rejects.toMatchObject({ code: 'WORKLOAD_UNSUPPORTED' });
  });
});
