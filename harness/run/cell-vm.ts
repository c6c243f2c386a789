import { basename, join } from 'node:path';
import type { BootPolicy } from '../config/suite-schema.js';
import type { GuestOs } from '../guest/guest-os.js';
import { waitForSsh, type SshTransport } from '../guest/ssh-transport.js';
import type { BuiltImage } from '../images/catalog.js';
import { resolveWindowsProfile } from '../images/windows-profile.js';
import type { BootSource, Machine, MachineSpec, Provider } from '../providers/provider.js';
import { saveMachineState, startFromState, type SavedState } from '../providers/qemu/snapshot-restore.js';
import { ConsoleRecorder } from './console-recorder.js';
import { watchBoot, type BootObservation, type ReadyResult } from './boot-watch.js';
import { LabError } from '../util/errors.js';
import { warmRestartOf, type WarmRestart } from './warm-reboot.js';

/** How a boot starts: a new VM process, the guest rebooting itself, or a reset from the host. */
export type StartKind = 'cold' | 'warm-guest' | 'warm-host';

export interface CellVmOptions {
  runDir: string;
  cellId: string;
  /** The cell's scratch folder: the overlay and the VM's sockets. */
  workDir: string;
  image: BuiltImage;
  provider: Provider;
  guest: GuestOs;
  boot: BootPolicy;
  labKey: { privateKey: string; publicKey: string };
  instructionClock?: boolean;
  /** Added to the boot timeout once the guest is ready: the agent's self-test has its own timeout. */
  readyGraceMs?: number;
  /** A VM generation ID device: needed by a machine whose state is saved and by every machine started from it. */
  generationId?: boolean;
  signal: AbortSignal;
}

/**
 * The lab's watchdogs, short so that a boot's soak (boot.soak, 15 s by default) outlasts them: a
 * soft lockup is reported after 10 s (2 x watchdog_thresh, checked every 2 s), a task blocked
 * for 10 s within 2 s more (Debian's defaults: 20 s and 120 s, too long to wait for each boot).
 */
export const WATCHDOG_ARGS = ['watchdog_thresh=5', 'sysctl.kernel.hung_task_timeout_secs=10', 'sysctl.kernel.hung_task_check_interval_secs=2'];

/** The kernel command line: the image's own arguments, the lab's crash capture, the suite's, the lab key. */
export function kernelArgsOf(image: BuiltImage, boot: BootPolicy, publicKey: string): string[] {
  const key = publicKey.split(/\s+/)[1]!;
  // loglevel=5 keeps boot chatter off the slow serial line but shows every warning and oops.
  // The image's own arguments first (a disk image names its root device).
  return [...(image.manifest.kernelArgs ?? []), 'loglevel=5', 'panic=-1', ...(boot.panicOnOops ? ['oops=panic'] : []), ...WATCHDOG_ARGS, ...(boot.kernelArgs ?? []), `bootgate.authkey=${key}`];
}

/**
 * The guest's SSH host key to pin. A Linux image without one would accept any key silently: the
 * catalog rebuilds such an image, and this refuses to connect should one get this far.
 */
export function pinnedHostKey(image: BuiltImage): string | undefined {
  const key = image.manifest.hostKey;
  if (!key && image.manifest.os === 'linux') throw new LabError('IMAGE_NO_HOSTKEY', `image ${image.manifest.name} records no SSH host key to pin: rebuild it (bootgate images build ${image.manifest.name})`);
  return key;
}

/** The account the lab key logs in as: root on Linux, the Windows profile's administrator. */
export function sshUserOf(image: BuiltImage): string {
  const w = image.recipe.recipe.windows;
  return w ? resolveWindowsProfile(w).sshUser : 'root';
}

/**
 * How the image boots: its kernel given directly when it has one (at its PVH entry unless the
 * suite asks for the bzImage, or the kernel has none), else UEFI firmware with its OS's profile.
 */
export function bootSourceOf(image: BuiltImage, args: string[], entry: BootPolicy['kernelEntry'] = 'pvh'): BootSource {
  const f = image.manifest.files;
  if (f.kernel) {
    const kernel = entry === 'pvh' && image.pvh && 'kernel' in image.pvh ? image.pvh.kernel : join(image.dir, f.kernel.path);
    return { kind: 'direct-kernel', kernel, initrd: f.initrd && join(image.dir, f.initrd.path), args };
  }
  const w = image.recipe.recipe.windows;
  const profile = w ? resolveWindowsProfile(w) : undefined;
  return { kind: 'uefi', profile: 'windows', secureBoot: profile?.secureBoot, tpm: profile?.tpm, ...(profile ? { nic: profile.nic, diskBus: profile.diskBus } : {}) };
}

/**
 * The VM of one cell and its boots: a copy-on-write overlay of the image, the machine (started
 * cold, or rebooted warm), its console recorded per boot, and the SSH session of the boot that is
 * up. What a boot is asked once it is ready comes from the runner (onReady).
 */
export class CellVm {
  machine?: Machine;
  ssh?: SshTransport;
  readonly recorder = new ConsoleRecorder();
  private readonly overlay: string;
  /** A guest's host key learned at its first connection, when the image pins none (a user's Windows disk): pinned from then on. */
  private learnedHostKey?: string;
  /** The current boot's start, and the machine's last guest reset and panic (host times). */
  private bootStartedAt = 0;
  private lastGuestReset = 0;
  private lastPanic = 0;
  /** The boot id of the last boot that came up, and when the cell first started a machine (host clock). */
  private lastReadyBootId?: string;
  /** How the last guest-asked reboot was carried out. */
  private lastRestart?: WarmRestart;
  private firstStart?: number;

  constructor(private readonly o: CellVmOptions) {
    this.overlay = join(o.workDir, 'disk.qcow2');
  }

  async createOverlay(): Promise<void> {
    const { image, provider, signal } = this.o;
    await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), this.overlay, signal);
  }

  /** How the next boot starts: as the suite asks, unless the VM's state forces a way. */
  nextStart(prev: BootObservation | undefined, want: 'warm' | 'cold'): StartKind {
    if (!prev || prev.vmState === 'exited' || want === 'cold') return 'cold';
    if (prev.vmState === 'paused' || !prev.booted || !this.ssh) return 'warm-host';
    return 'warm-guest';
  }

  /**
   * One boot to its end: started as asked, its console into `consoleLog` (relative to the run
   * folder), watched until ready, crashed, hung or gone. Times are from the start of this boot.
   */
  async boot(how: StartKind, consoleLog: string, onReady: (ssh: SshTransport, signal: AbortSignal) => Promise<ReadyResult>): Promise<BootObservation> {
    const { boot, guest, signal } = this.o;
    await this.recorder.switchTo(join(this.o.runDir, consoleLog));
    const startedAt = await this.start(how);
    this.bootStartedAt = startedAt;
    this.firstStart ??= startedAt;
    const connect = (sig: AbortSignal) =>
      waitForSsh({
        host: this.machine!.ssh.host,
        port: this.machine!.ssh.port,
        username: sshUserOf(this.o.image),
        privateKey: this.o.labKey.privateKey,
        hostKey: this.hostKeyPolicy(),
        deadlineMs: Math.max(1000, startedAt + boot.timeout - Date.now()),
        readyTimeoutMs: 20_000,
        signal: sig,
      });
    // A guest that prints no ready marker (Windows) is ready when SSH answers from a new boot.
    const markerProbe = !guest.boots.consoleReadyMarker ? (sig: AbortSignal) => this.probeNewBoot(connect, sig) : undefined;
    const obs = await watchBoot({
      machine: this.machine!,
      os: guest.name,
      recorder: this.recorder,
      startedAt,
      timeoutMs: boot.timeout,
      readyGraceMs: this.o.readyGraceMs,
      settleMs: boot.settle,
      soakMs: boot.soak,
      silenceMs: markerProbe ? undefined : boot.silence,
      signal,
      markerProbe,
      onMarker: async (marker, sig) => {
        const ssh = this.ssh ?? (this.ssh = await connect(sig));
        // The boot id read over SSH must be the one on the console: proof that this is the new boot.
        const id = await guest.bootId(ssh, sig);
        if (id !== marker.bootId) throw new Error(`SSH reached boot ${id}, the console says ${marker.bootId}`);
        await guest.consoleAllMessages?.(ssh, sig);
        // What the guest recorded of the boots since the last one that came up (Windows: bugchecks).
        const earlier = guest.crashesSince ? await guest.crashesSince(ssh, this.lastReadyBootId, new Date(this.firstStart!), sig) : [];
        this.lastReadyBootId = id;
        return { ...(await onReady(ssh, sig)), ...(earlier.length ? { earlier } : {}) };
      },
    });
    if (how === 'warm-guest' && this.lastRestart) obs.restart = this.lastRestart;
    if (obs.markerAt !== undefined) obs.markerAt -= startedAt;
    if (obs.readyAt !== undefined) obs.readyAt -= startedAt;
    if (obs.setupAt !== undefined) obs.setupAt -= startedAt;
    return obs;
  }

  /** The image's pinned host key, else the one this cell's guest showed first (then pinned). */
  private hostKeyPolicy(): { expected?: string; onFirstSeen?: (key: string) => void } {
    const expected = pinnedHostKey(this.o.image) ?? this.learnedHostKey;
    return expected ? { expected } : { onFirstSeen: (k) => (this.learnedHostKey = k) };
  }

  /**
   * SSH from a boot other than the last one that came up: the session is kept for onMarker. A
   * guest going down may still answer from its old boot for a moment: that session is dropped.
   */
  private async probeNewBoot(connect: (sig: AbortSignal) => Promise<SshTransport>, sig: AbortSignal): Promise<{ bootId: string }> {
    for (;;) {
      const ssh = await connect(sig);
      try {
        const bootId = await this.o.guest.bootId(ssh, sig);
        if (bootId !== this.lastReadyBootId) {
          this.ssh = ssh;
          return { bootId };
        }
      } catch (e) {
        if (sig.aborted) throw e;
      }
      await ssh.close();
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Starts the boot and returns its host time: the VM start for a cold boot, the reset for a warm one. */
  private async start(how: StartKind): Promise<number> {
    const { provider, signal } = this.o;
    if (how === 'warm-guest') {
      const ssh = this.ssh!;
      this.ssh = undefined;
      const m = this.machine!;
      const reset = new Promise<number | undefined>((resolve) => {
        const t = setTimeout(() => (off(), resolve(undefined)), this.o.guest.boots.selfResetMs);
        const off = m.onEvent((e) => {
          if (e.type === 'reset' || e.type === 'exit') {
            clearTimeout(t);
            off();
            resolve(e.type === 'reset' ? e.at : undefined);
          }
        });
      });
      const newProcess = warmRestartOf(this.o.boot.warmReboot ?? 'auto', { accel: m.accel, canExitAtReset: !!m.exitAtReset }, this.o.guest.boots.rebootInNewProcess) === 'new-process';
      if (newProcess) await m.exitAtReset!(true);
      await this.o.guest.requestReboot(ssh);
      const at = await reset;
      await ssh.close();
      this.lastRestart = 'reset';
      if (at !== undefined) return at;
      // The guest did not reboot on request: force it, the boot still counts as warm.
      if (m.running) {
        if (newProcess) await m.exitAtReset!(false);
        await m.hostReset();
        return Date.now();
      }
      // The guest's own reset ended the process (as asked, or QEMU exited): the same disk boots in a new one.
      this.lastRestart = 'new-process';
      return this.start('cold');
    }
    await this.ssh?.close();
    this.ssh = undefined;
    if (how === 'warm-host' && this.machine?.running) {
      // Windows reboots itself after a bugcheck, once its dump is written: that reset starts the next boot.
      const own = this.o.guest.boots.resetsAfterCrash ? await this.ownReset() : undefined;
      if (own !== undefined) return own;
      await this.machine.hostReset();
      return Date.now();
    }
    if (this.machine) {
      await this.machine.dispose();
      this.machine = undefined;
    }
    this.machine = await provider.start(this.specOf(), signal);
    this.attached(this.machine);
    return this.machine.startedAt;
  }

  /**
   * The guest's own reset since the current boot started, waited for a while after a bugcheck;
   * undefined when there is none (a hung guest): the host resets it then.
   */
  private async ownReset(): Promise<number | undefined> {
    if (this.lastGuestReset > this.bootStartedAt) return this.lastGuestReset;
    if (this.lastPanic <= this.bootStartedAt) return undefined;
    const m = this.machine!;
    return new Promise<number | undefined>((resolve) => {
      const t = setTimeout(() => (off(), resolve(undefined)), this.o.guest.boots.selfResetMs);
      const off = m.onEvent((e) => {
        if (e.type === 'reset' || e.type === 'exit') {
          clearTimeout(t);
          off();
          resolve(e.type === 'reset' ? e.at : undefined);
        }
      });
    });
  }

  private attached(m: Machine): void {
    this.recorder.attach(m);
    m.onEvent((e) => {
      if (e.type === 'reset' && e.guest) this.lastGuestReset = e.at;
      if (e.type === 'panic') this.lastPanic = e.at;
    });
    if (process.env.BOOTGATE_TRACE) {
      const t0 = m.startedAt;
      const id = this.o.cellId;
      m.onEvent((e) => process.stderr.write(`trace ${id} +${((e.at - t0) / 1000).toFixed(2)}s ${JSON.stringify(e)}\n`));
    }
  }

  /** The machine this cell runs: the same for every start, so that a saved state fits any of them. */
  private specOf(): MachineSpec {
    const { image } = this.o;
    const r = image.recipe.recipe;
    return {
      // The run id in the process name: leftovers of one run can be told from another's VMs.
      name: `${basename(this.o.runDir)}.${this.o.cellId}`,
      workDir: join(this.o.workDir, 'vm'),
      disk: this.overlay,
      boot: bootSourceOf(image, kernelArgsOf(image, this.o.boot, this.o.labKey.publicKey), this.o.boot.kernelEntry),
      memoryMiB: r.memoryMiB,
      cpus: r.cpus,
      arch: r.arch,
      guestSshPort: 22,
      instructionClock: this.o.instructionClock,
      ...(this.o.generationId ? { generationId: true } : {}),
    };
  }

  /**
   * Save the running, ready guest into `dir` and retire the machine; its disk is frozen as the
   * saved state's (the overlay lies outside the machine's scratch folder).
   */
  async saveState(dir: string): Promise<SavedState> {
    const m = this.machine;
    if (!m?.running) throw new LabError('SAVE_NOT_RUNNING', `${this.o.cellId}: no running machine to save`);
    await this.ssh?.close();
    this.ssh = undefined;
    this.machine = undefined;
    await this.recorder.close();
    return saveMachineState(m, this.specOf(), dir, this.o.signal);
  }

  /**
   * Start this cell's machine from a saved, ready guest on a fresh overlay of its disk, its console
   * into `consoleLog`, and connect: the guest must be the saved boot going on (`bootId`). Its clock
   * is set again from the emulated RTC, since it stood still while the state was on disk.
   */
  async restore(saved: SavedState, bootId: string, consoleLog: string): Promise<void> {
    const { labKey, guest, signal } = this.o;
    if (this.machine) throw new LabError('RESTORE_BUSY', `${this.o.cellId}: the cell already has a machine`);
    await this.recorder.switchTo(join(this.o.runDir, consoleLog));
    const { disk: _d, restoreFrom: _r, ...spec } = this.specOf();
    this.machine = await startFromState(this.o.provider, saved, spec, this.overlay, signal);
    this.attached(this.machine);
    const ssh = await waitForSsh({
      host: this.machine.ssh.host,
      port: this.machine.ssh.port,
      username: sshUserOf(this.o.image),
      privateKey: labKey.privateKey,
      hostKey: this.hostKeyPolicy(),
      deadlineMs: this.o.boot.timeout,
      readyTimeoutMs: 20_000,
      signal,
    });
    this.ssh = ssh;
    const id = await guest.bootId(ssh, signal);
    if (id !== bootId) throw new LabError('RESTORE_WRONG_BOOT', `the restored guest is boot ${id}, the saved one was ${bootId}`);
    await guest.syncClock?.(ssh, signal);
  }

  /** The machine and its SSH session go, the console recorder stays: for a restore after a crash (the fuzzer's). */
  async discardMachine(): Promise<void> {
    await this.ssh?.close();
    this.ssh = undefined;
    await this.machine?.dispose();
    this.machine = undefined;
  }

  /** The VM, its console file and the SSH session go; safe to call twice. */
  async dispose(): Promise<void> {
    await this.ssh?.close();
    this.ssh = undefined;
    await this.machine?.dispose();
    await this.recorder.dispose();
  }
}
