import { LabError } from '../../util/errors.js';
import type { GuestMemory, GuestOs } from '../guest-os.js';
import type { ExecOpts, ExecResult, GuestTransport } from '../transport.js';
import { psFields, runPs } from './powershell.js';
import { mergeBugchecks } from '../../detect/windows/bugcheck-merge.js';
import type { CrashRecord } from '../../results/crash-record.js';
import { fetchDumpHeader, lastBootUpTime, listDumps, parseRoundtripUtc, readBugcheckEvents, requestReboot } from './windows-guest.js';

/** Dumps read per boot at most: with Overwrite on, MEMORY.DMP is one file; minidumps pile up. */
const MAX_DUMPS = 4;

/** Free physical memory and the nonpaged pool, in KiB, as KEY=value lines (psFields). */
export const MEMORY_SCRIPT = [
  '$os = Get-CimInstance Win32_OperatingSystem',
  '$pool = (Get-CimInstance Win32_PerfRawData_PerfOS_Memory).PoolNonpagedBytes',
  '"AVAILABLE_KIB=$($os.FreePhysicalMemory)"',
  '"NONPAGED_KIB=$([math]::Floor($pool / 1024))"',
].join('\n');

/**
 * Windows guests through the PowerShell layer over OpenSSH (guest/windows/powershell.ts). The
 * boot is named by LastBootUpTime, which changes with every boot. Tested against an in-process
 * SSH server that answers as Windows does; not run on a real Windows here (docs/windows-guests.md).
 */
export class WindowsGuest implements GuestOs {
  readonly name = 'windows' as const;
  // No console marker; after `shutdown /r` (services stop first) or a bugcheck (its dump written
  // first, panic=none) Windows may take up to two minutes to reset itself.
  readonly boots = { consoleReadyMarker: false, selfResetMs: 120_000, resetsAfterCrash: true, rebootInNewProcess: false };
  readonly workloadPaths = { program: 'C:\\ProgramData\\bootgate\\bootgate-workload.exe', workDir: 'C:\\ProgramData\\bootgate\\work' };

  async requestReboot(t: GuestTransport): Promise<void> {
    // shutdown /r /t 0 may drop the connection before its status comes back: requestReboot says so.
    void requestReboot(t).catch(() => undefined);
  }

  async bootId(t: GuestTransport, signal?: AbortSignal): Promise<string> {
    return (await lastBootUpTime(t, { signal })).raw;
  }

  /**
   * Bugchecks since a boot: Kernel-Power 41 and WER 1001 from the System log, and the headers of
   * MEMORY.DMP and minidumps written since, one record per bugcheck (detect/windows/bugcheck-merge.ts).
   * A 1001 that WER writes minutes into the boot is missed when asked earlier; its 41 is there.
   */
  async crashesSince(t: GuestTransport, sinceBootId: string | undefined, notBefore: Date, signal?: AbortSignal): Promise<CrashRecord[]> {
    const since = (sinceBootId && parseRoundtripUtc(sinceBootId)) || notBefore;
    const records = await readBugcheckEvents(t, since, { signal });
    const dumps = (await listDumps(t, { signal })).filter((d) => {
      const at = parseRoundtripUtc(d.lastWriteUtc);
      return at !== undefined && at.getTime() >= since.getTime();
    });
    for (const d of dumps.slice(0, MAX_DUMPS)) {
      const h = await fetchDumpHeader(t, d.path, { signal });
      if (h.result.ok) records.push({ ...h.result.record, excerpt: [h.result.record.excerpt, d.path].filter(Boolean).join('\n') });
    }
    return mergeBugchecks(records);
  }

  async memory(t: GuestTransport, signal?: AbortSignal): Promise<GuestMemory> {
    const f = psFields((await runPs(t, MEMORY_SCRIPT, { signal, timeoutMs: 60_000 })).stdout);
    return { availableKiB: Number(f.get('AVAILABLE_KIB') ?? NaN), kernelKiB: Number(f.get('NONPAGED_KIB') ?? NaN) };
  }

  /** A PowerShell script, as the driver agent's `health` is run. */
  async runCommand(t: GuestTransport, command: string, opts: Pick<ExecOpts, 'timeoutMs' | 'signal'>): Promise<ExecResult> {
    const r = await runPs(t, command, { ...opts, check: false });
    return { code: r.code, ...(r.signal ? { signal: r.signal } : {}), stdout: r.stdout, stderr: r.stderr };
  }

  async installWorkloadProgram(_t: GuestTransport, _hostPath: string, _signal?: AbortSignal): Promise<void> {
    // The workload program is a static Linux binary; a Windows build of it does not exist yet.
    throw new LabError('WORKLOAD_UNSUPPORTED', 'in-guest workloads are not built for Windows guests yet');
  }
}
