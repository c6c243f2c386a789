import type { CrashRecord } from '../results/crash-record.js';
import type { ExecOpts, ExecResult, GuestTransport } from './transport.js';

export type GuestOsName = 'linux' | 'windows';

/** A booted guest's memory: what programs can still get, and what the kernel keeps for itself. */
export interface GuestMemory {
  /** Linux MemAvailable; Windows free physical memory. */
  availableKiB: number;
  /** Linux Slab; Windows nonpaged pool: where a kernel agent's allocations land. */
  kernelKiB: number;
}

export interface GuestBoots {
  /** Prints the lab's ready marker on the console (Linux); else ready is SSH answering from a new boot. */
  readonly consoleReadyMarker: boolean;
  /** How long the guest may take from a reboot request, or from a crash it restarts after, to its reset. */
  readonly selfResetMs: number;
  /** Restarts itself after a crash, once its dump is written (Windows with panic=none): that reset starts the next boot. */
  readonly resetsAfterCrash: boolean;
  /**
   * May a reboot it asks for end the QEMU process, its next boot starting in a new one
   * (boot.warmReboot auto, under TCG)? True where the guest keeps nothing but its disk across a
   * reboot (Linux here); Windows keeps UEFI variables and TPM state beside the disk, not tried in a new process.
   */
  readonly rebootInNewProcess: boolean;
}

/**
 * What the cell runner asks of a guest, whatever its OS: one adapter per OS (guest/linux,
 * guest/windows), chosen by the image's `os` through guest/registry.ts. The runner itself knows
 * no guest command.
 */
export interface GuestOs {
  readonly name: GuestOsName;
  /** How this OS boots, as the runner waits for it. */
  readonly boots: GuestBoots;
  /**
   * Ask the guest to reboot itself and return once asked. The connection drops as the guest goes
   * down: that is no error. The runner learns that the reboot happened from the machine's events.
   */
  requestReboot(t: GuestTransport): Promise<void>;
  /** What names this boot and no other: compared with the console's ready marker, so SSH is known to reach the new boot. */
  bootId(t: GuestTransport, signal?: AbortSignal): Promise<string>;
  /** Set the guest's clock from its hardware clock: a guest restored from a saved state is behind by the time it lay saved. */
  syncClock?(t: GuestTransport, signal?: AbortSignal): Promise<void>;
  /**
   * Once a boot is ready: from now on every kernel message reaches the serial console. Boots print
   * at a quiet level (their chatter is slow on a serial line); reports that come later print part
   * of their evidence lower (a blocked task's call trace is at info level). OSes whose crash
   * evidence is not the console leave it out.
   */
  consoleAllMessages?(t: GuestTransport, signal?: AbortSignal): Promise<void>;
  /**
   * Crashes of earlier boots that the guest itself recorded, read once a later boot is up: since
   * the start of boot `sinceBootId` (one of this guest's boot ids), or since `notBefore` (guest
   * clock) when there is none yet. Each crash once. OSes whose crashes all show on the console
   * while they happen leave it out.
   */
  crashesSince?(t: GuestTransport, sinceBootId: string | undefined, notBefore: Date, signal?: AbortSignal): Promise<CrashRecord[]>;
  memory(t: GuestTransport, signal?: AbortSignal): Promise<GuestMemory>;
  /** Where an in-guest workload program is put, and the folder its file workloads use. */
  readonly workloadPaths: { program: string; workDir: string };
  /**
   * Run a command a suite wrote for this OS (an agent's self-test) the way its health command
   * runs: a shell command line on Linux, a PowerShell script on Windows. Resolves whatever the
   * exit code; rejects as GuestTransport.exec does (EXEC_TIMEOUT with the output so far, ABORTED,
   * CONNECTION_LOST).
   */
  runCommand(t: GuestTransport, command: string, opts: Pick<ExecOpts, 'timeoutMs' | 'signal'>): Promise<ExecResult>;
  /** Put the workload program on the guest, ready to run. */
  installWorkloadProgram(t: GuestTransport, hostPath: string, signal?: AbortSignal): Promise<void>;
}
