import { describe, expect, it } from 'vitest';
import type { ExecOpts, GuestTransport } from '../transport.js';
import { LinuxGuest, meminfoKiB } from './linux-guest.js';

const MEMINFO = 'MemTotal:         496420 kB\nMemFree:          301234 kB\nMemAvailable:     402112 kB\nSlab:              21408 kB\n';

/** Records the commands and answers from a table: the adapter's commands are what is tested. */
function transport(answers: Record<string, string>) {
  const cmds: string[] = [];
  const uploads: [string, string, number | undefined][] = [];
  const t: GuestTransport = {
    exec: async (cmd: string, _o?: ExecOpts) => (cmds.push(cmd), { code: 0, stdout: answers[cmd] ?? '', stderr: '' }),
    upload: async (local, remote, o) => void uploads.push([local, remote, o?.mode]),
    uploadData: async () => undefined,
    close: async () => undefined,
  };
  return { t, cmds, uploads };
}

describe('LinuxGuest', () => {
  it('reads a meminfo line in KiB, NaN when the kernel does not print it', () => {
    expect(meminfoKiB(MEMINFO, 'MemAvailable')).toBe(402112);
    expect(meminfoKiB(MEMINFO, 'Slab')).toBe(21408);
    expect(meminfoKiB(MEMINFO, 'SUnreclaim')).toBeNaN();
  });

  it('memory: MemAvailable and Slab', async () => {
    const { t } = transport({ 'sync; cat /proc/meminfo': MEMINFO });
    expect(await new LinuxGuest().memory(t)).toEqual({ availableKiB: 402112, kernelKiB: 21408 });
  });

  it('boot id from the kernel, trimmed', async () => {
    const { t } = transport({ 'cat /proc/sys/kernel/random/boot_id': '6f1c1b7e-0d4b-4e1a-9d51-3b8e0f6a2c11\n' });
    expect(await new LinuxGuest().bootId(t)).toBe('6f1c1b7e-0d4b-4e1a-9d51-3b8e0f6a2c11');
  });

  it('console: every kernel message from now on, by the console log level alone', async () => {
    const { t, cmds } = transport({});
    await new LinuxGuest().consoleAllMessages(t);
    expect(cmds).toEqual(['echo 7 > /proc/sys/kernel/printk']);
  });

  it('reboot is asked without waiting for an answer (the connection drops)', async () => {
    const never: GuestTransport = { exec: () => new Promise(() => undefined), upload: async () => undefined, uploadData: async () => undefined, close: async () => undefined };
    await expect(new LinuxGuest().requestReboot(never)).resolves.toBeUndefined();
  });

  it('installs the workload program executable, with its work folder', async () => {
    const g = new LinuxGuest();
    const { t, cmds, uploads } = transport({});
    await g.installWorkloadProgram(t, '/host/bootgate-workload');
    expect(cmds).toEqual([`mkdir -p /opt/bootgate ${g.workloadPaths.workDir}`]);
    expect(uploads).toEqual([['/host/bootgate-workload', g.workloadPaths.program, 0o755]]);
  });
});
