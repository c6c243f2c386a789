/**
 * The plug-in point for VM backends: a provider starts machines, a machine is one VM process
 * (one cold boot, then any number of warm reboots inside it). Providers import nothing from run/.
 */

/** How a machine boots: the image's kernel given directly (Linux), or UEFI firmware from the disk (Windows). */
export type BootSource =
  | {
      kind: 'direct-kernel';
      kernel: string;
      initrd?: string;
      /** The kernel command line after the serial console the provider sets. */
      args: string[];
    }
  | {
      kind: 'uefi';
      /** The machine profile: devices, timers and enlightenments the OS expects (providers/qemu/windows-args.ts). */
      profile: 'windows';
      secureBoot?: boolean;
      /** A TPM 2.0 (swtpm), which Windows 11 requires. */
      tpm?: boolean;
      /** Devices the installed OS has drivers for: inbox e1000e and AHCI unless virtio-win's are installed. */
      nic?: 'e1000e' | 'virtio';
      diskBus?: 'sata' | 'virtio';
    };

export interface MachineSpec {
  /** For log lines and process titles. */
  name: string;
  /** Scratch folder of this machine: sockets, pid file. Removed by dispose(). */
  workDir: string;
  /** The cell's copy-on-write disk (made with createOverlay); the base image is never written. */
  disk: string;
  boot: BootSource;
  memoryMiB: number;
  cpus: number;
  /** The guest's architecture (Debian's name): which QEMU system emulator and machine run it. Default amd64. */
  arch?: 'amd64' | 'arm64';
  /** TCP port inside the guest forwarded to a free 127.0.0.1 port. */
  guestSshPort: number;
  /**
   * Guest time from instructions executed rather than the host clock (TCG only): timings in the
   * guest then repeat on a loaded host. Ignored under KVM, where the host clock is the truth.
   */
  instructionClock?: boolean;
  /**
   * A VM generation ID device: a guest started from a saved state learns that it is a copy and
   * reseeds its random number generator: without it, copies of one state can draw the same numbers.
   * Both the machine that is saved and every machine started from its state need it.
   */
  generationId?: boolean;
  /**
   * Start from a state saved by Machine.saveState instead of booting: the guest goes on where it
   * was, same kernel, same boot. `disk` must then be a fresh overlay on the disk frozen with that
   * state, and the rest of the spec what the saved machine had (providers/qemu/snapshot-restore.ts).
   */
  restoreFrom?: string;
}

/** What a machine reports, normalized from its backend (QMP events for QEMU). */
export type MachineEvent =
  | { type: 'reset'; guest: boolean; reason: string; at: number }
  | { type: 'shutdown'; guest: boolean; reason: string; at: number }
  | { type: 'panic'; action: string; info?: Record<string, unknown>; at: number }
  | { type: 'crashloaded'; action: string; info?: Record<string, unknown>; at: number }
  | { type: 'exit'; code: number | null; signal: string | null; stderr: string; at: number };

export interface Machine {
  readonly id: string;
  readonly accel: 'kvm' | 'tcg';
  readonly ssh: { host: string; port: number };
  /** Host time (ms) the process was started. */
  readonly startedAt: number;
  onConsole(cb: (chunk: string) => void): () => void;
  onEvent(cb: (e: MachineEvent) => void): () => void;
  /**
   * Stop the guest and write its whole state (memory and devices, not the disk) to a file; the
   * machine stays stopped, to be disposed, and its disk is then what the state goes with.
   * Providers that cannot save a machine leave it out.
   */
  saveState?(stateFile: string, signal?: AbortSignal): Promise<void>;
  /**
   * Let a guest paused at its panic notice run the rest of its panic path, and stop it again
   * when it resets itself or after timeoutMs: a kernel flushes what it printed from an
   * exception stack only after that notice. Resolves whether the guest reset. Providers whose
   * guests do not pause at a panic leave it out.
   */
  finishPanic?(timeoutMs: number): Promise<boolean>;
  /**
   * Type on the serial console, as an operator at the machine's console does (a rescue shell has
   * no network). Providers whose console is read-only leave it out.
   */
  writeConsole?(text: string): void;
  /** A hard reset from the host; resumes the guest when it was paused by a panic. */
  hostReset(): Promise<void>;
  /**
   * on: a reset ends the machine (an `exit` event) rather than resetting it in place, so that
   * the guest's next boot starts in a new process; off: resets happen in place again. Providers
   * that cannot leave it out.
   */
  exitAtReset?(on: boolean): Promise<void>;
  /** Stop the VM (graceful quit, then kill) and remove its scratch files. Safe to call twice. */
  dispose(): Promise<void>;
  readonly running: boolean;
}

/** A program the provider runs on the host, and the Debian package that brings it (for `bootgate doctor`). */
export interface HostTool {
  tool: string;
  pkg: string;
  why: string;
}

export interface Provider {
  readonly name: string;
  /** The host programs it needs. */
  readonly hostTools: readonly HostTool[];
  /** Versions of what it runs, for run.json (e.g. { qemu: 'QEMU emulator version 7.2.x' }). */
  versions(): Promise<Record<string, string>>;
  /** Why this host runs guests the way it does (e.g. "TCG: /dev/kvm is missing"), said once. */
  describe(): Promise<string>;
  createOverlay(base: string, overlay: string, signal?: AbortSignal): Promise<void>;
  /** The guest architectures its machines run; absent: every one (the qemu provider). */
  readonly arches?: readonly ('amd64' | 'arm64')[];
  /** Its machines can save their state (Machine.saveState) and start from one (MachineSpec.restoreFrom): shared baselines need both. */
  readonly canRestore?: boolean;
  /**
   * Get ready before the first machine, saying what it does through `progress` (a daemon checked,
   * leftovers reaped, a base image built): a run calls it once before its cells. start() does it
   * too when nobody did. Providers with nothing to prepare leave it out.
   */
  prepare?(progress?: (line: string) => void, signal?: AbortSignal): Promise<unknown>;
  start(spec: MachineSpec, signal?: AbortSignal): Promise<Machine>;
}
