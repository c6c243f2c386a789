import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Machine } from '../provider.js';
import { createProvider } from '../registry.js';

// The Windows machine profile as `bootgate run` starts it: UEFI firmware (OVMF) from an empty
// disk under TCG, with a TPM from swtpm owned by the machine. No Windows boots here: the test
// shows that the profile starts, answers on QMP, and leaves no process or file behind.
const pgrep = (pattern: string) => spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim();

describe('QemuProvider: a UEFI boot source with the Windows profile', () => {
  let dir = '';
  let m: Machine | undefined;
  afterAll(async () => {
    await m?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts OVMF with a TPM, runs, and leaves nothing after dispose', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootgate-uefi-'));
    const disk = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const provider = createProvider('qemu')!;
    const workDir = join(dir, 'vm');
    m = await provider.start({ name: 'uefi-int', workDir, disk, boot: { kind: 'uefi', profile: 'windows', tpm: true }, memoryMiB: 512, cpus: 1, guestSshPort: 22 });
    expect(m.running).toBe(true);
    // The machine's own copy of the firmware variables and its TPM, in its scratch folder.
    expect(existsSync(join(workDir, 'OVMF_VARS_4M.fd'))).toBe(true);
    expect(pgrep(`swtpm.*${workDir}/tpm`)).not.toBe('');
    // OVMF runs: the guest is reset from the host and keeps running (no disk to boot from yet).
    await m.hostReset();
    expect(m.running).toBe(true);
    await m.dispose();
    expect(m.running).toBe(false);
    expect(pgrep(`swtpm.*${workDir}/tpm`)).toBe('');
    expect(pgrep(`bootgate-uefi-int`)).toBe('');
    expect(existsSync(workDir)).toBe(false);
  });
});
