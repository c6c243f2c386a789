import type { GuestMemory, GuestOs } from '../guest-os.js';
import type { ExecOpts, ExecResult, GuestTransport } from '../transport.js';

/** A line of /proc/meminfo in KiB; NaN when the kernel does not print it. */
export function meminfoKiB(meminfo: string, key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? NaN);
}

/** Linux guests over SSH: a root shell, busybox or a full Debian userland. */
export class LinuxGuest implements GuestOs {
  readonly name = 'linux' as const;
  readonly boots = { consoleReadyMarker: true, selfResetMs: 30_000, resetsAfterCrash: false, rebootInNewProcess: true };
  readonly workloadPaths = { program: '/opt/bootgate/bootgate-workload', workDir: '/var/lib/bootgate-work' };

  async requestReboot(t: GuestTransport): Promise<void> {
    // -f: no init scripts, the kernel reboots at once; sync first so installed files survive.
    void t.exec('sync; reboot -f', { timeoutMs: 10_000 }).catch(() => undefined);
  }

  async bootId(t: GuestTransport, signal?: AbortSignal): Promise<string> {
    return (await t.exec('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 15_000, signal })).stdout.trim();
  }

  async syncClock(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    // The lab's guests keep the RTC in UTC; an image without hwclock keeps its stale clock (said by the exit code, not fatal).
    await t.exec('hwclock -s -u 2>/dev/null || true', { timeoutMs: 15_000, signal });
  }

  async consoleAllMessages(t: GuestTransport, signal?: AbortSignal): Promise<void> {
    // The console log level alone (the first of the four values): 7 shows up to KERN_INFO.
    await t.exec('echo 7 > /proc/sys/kernel/printk', { timeoutMs: 15_000, signal });
  }

  async memory(t: GuestTransport, signal?: AbortSignal): Promise<GuestMemory> {
    const txt = (await t.exec('sync; cat /proc/meminfo', { signal, timeoutMs: 30_000 })).stdout;
    return { availableKiB: meminfoKiB(txt, 'MemAvailable'), kernelKiB: meminfoKiB(txt, 'Slab') };
  }

  runCommand(t: GuestTransport, command: string, opts: Pick<ExecOpts, 'timeoutMs' | 'signal'>): Promise<ExecResult> {
    return t.exec(command, opts);
  }

  async installWorkloadProgram(t: GuestTransport, hostPath: string, signal?: AbortSignal): Promise<void> {
    const dir = this.workloadPaths.program.replace(/\/[^/]+$/, '');
    await t.exec(`mkdir -p ${dir} ${this.workloadPaths.workDir}`, { signal, timeoutMs: 30_000 });
    await t.upload(hostPath, this.workloadPaths.program, { signal, mode: 0o755 });
  }
}
