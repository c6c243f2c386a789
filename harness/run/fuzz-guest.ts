import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import type { BootPolicy } from '../config/suite-schema.js';
import { bootDetectorFor } from '../detect/registry.js';
import type { GuestOs } from '../guest/guest-os.js';
import type { BuiltImage } from '../images/catalog.js';
import type { MachineEvent, Provider } from '../providers/provider.js';
import type { SavedState } from '../providers/qemu/snapshot-restore.js';
import { signatureOf, type CrashRecord } from '../results/crash-record.js';
import { pushAll } from '../util/arrays.js';
import { AbortedError, ConfigError, LabError } from '../util/errors.js';
import { PANIC_PATH_MS, primaryCrash } from './boot-watch.js';
import { CellVm } from './cell-vm.js';

export interface FuzzGuestOptions {
  /** The fuzz run's folder: console logs go under guest/, the saved state under its scratch folder. */
  dir: string;
  workDir: string;
  image: BuiltImage;
  provider: Provider;
  guest: GuestOs;
  boot: BootPolicy;
  labKey: { privateKey: string; publicKey: string };
  agent: AgentDriver;
  build: PreparedBuild;
  /** Installed with the build, loaded once (it must load) before the guest is saved. */
  seed: ContentArtifact;
  signal: AbortSignal;
}

export type ProbeOutcome = 'accepted' | 'refused' | 'crash';

export interface ProbeResult {
  outcome: ProbeOutcome;
  crash?: CrashRecord;
  /** The load command's last output (the agent's refusal, for one). */
  output: string;
  ms: number;
}

/** Where a mutant goes in the guest: /tmp is in memory on both userlands, and gone with a restore. */
const REMOTE = '/tmp/bootgate-fuzz/content.txt';
/** A load that answers in neither this time nor with a crash is a hang of its own. */
const LOAD_TIMEOUT_MS = 60_000;
/** What the agent sees after a load: a few execs go through its hooks (a crash at match time is the mutant's). */
const EXERCISE = 'for i in 1 2 3; do /bin/true; done; ls / >/dev/null';

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The guest a fuzz run loads its mutants into: booted once with the agent installed, saved once
 * ready, and started again from that state after every crash, so that a mutant costs a content
 * load (the agent's runtime content load: contentLoadCommand) and a crash costs a restore, never
 * a boot.
 */
export class FuzzGuest {
  /** The first boot's VM, whose disk the saved state freezes; then the VM every restore starts, on a fresh overlay of that disk. */
  private readonly bootVm: CellVm;
  private vm: CellVm;
  private readonly liveVm: CellVm;
  private saved?: SavedState;
  private bootId?: string;
  private lives = 0;
  private loadCommand!: string;
  restores = 0;
  /** The first boot, cold to ready with the agent installed. */
  bootMs = 0;

  constructor(private readonly o: FuzzGuestOptions) {
    const vmOf = (sub: string) => new CellVm({ runDir: o.dir, cellId: 'fuzz', workDir: join(o.workDir, sub), image: o.image, provider: o.provider, guest: o.guest, boot: o.boot, labKey: o.labKey, generationId: true, signal: o.signal });
    this.vm = this.bootVm = vmOf('boot');
    this.liveVm = vmOf('live');
  }

  /** Boot, install the build with the seed, load the seed (it must load), save the guest, and start from the saved state. */
  async start(): Promise<void> {
    const { agent, build, seed, signal } = this.o;
    const cmd = agent.contentLoadCommand?.(build, REMOTE);
    if (!cmd) throw new ConfigError('FUZZ_NO_CONTENT_LOAD', `a ${agent.kind} agent of this build has no runtime content load for the fuzzer to use`);
    this.loadCommand = cmd;
    if (!this.o.provider.canRestore) throw new LabError('FUZZ_NO_RESTORE', `provider ${this.o.provider.name} cannot save and restore machines: the fuzzer restores its guest after every crash`);
    await mkdir(join(this.o.workDir, 'boot'), { recursive: true });
    await mkdir(join(this.o.workDir, 'live'), { recursive: true });
    await this.vm.createOverlay();
    const t0 = Date.now();
    let installError: unknown;
    const obs = await this.vm.boot('cold', join('guest', 'boot.log'), async (ssh, sig) => {
      try {
        await agent.install(ssh, build, seed, sig);
        await ssh.exec(`mkdir -p /tmp/bootgate-fuzz`, { signal: sig, timeoutMs: 15_000 });
      } catch (e) {
        installError = e;
      }
      return {};
    });
    this.bootMs = Date.now() - t0;
    if (signal.aborted) throw new AbortedError('interrupted');
    if (!obs.booted || !obs.marker) throw new LabError('FUZZ_BOOT', `the fuzz guest did not boot (${obs.outcome}${obs.crash ? `: ${obs.crash.title}` : ''}${obs.error ? `: ${obs.error}` : ''})`);
    if (installError) throw new LabError('FUZZ_INSTALL', `installing the agent failed: ${errMsg(installError)}`, { cause: installError });
    const first = await this.probe(await readFile(seed.path));
    if (first.outcome !== 'accepted') {
      throw new ConfigError('FUZZ_SEED', `seed content ${seed.version} (${seed.path}) does not load into the agent (${first.outcome}${first.crash ? `: ${first.crash.title}` : ''}): fuzz from content that loads. ${first.output}`.trim());
    }
    this.bootId = obs.marker.bootId;
    const stateDir = join(this.o.workDir, 'state');
    await mkdir(stateDir, { recursive: true });
    this.saved = await this.vm.saveState(stateDir);
    await this.bootVm.dispose();
    this.vm = this.liveVm;
    await this.revive();
  }

  private async revive(): Promise<void> {
    this.lives++;
    await this.vm.restore(this.saved!, this.bootId!, join('guest', `life-${this.lives}.log`));
  }

  /**
   * One content load: the bytes written to the guest and the agent told to load them, racing the
   * guest's crash. A crash (a panic, a kernel report on the console, a load that hangs) restores the
   * guest from its saved state before this returns.
   */
  async probe(content: Buffer): Promise<ProbeResult> {
    const { signal } = this.o;
    const m = this.vm.machine;
    const ssh = this.vm.ssh;
    if (!m || !ssh) throw new LabError('FUZZ_NO_GUEST', 'the fuzz guest is not running');
    const t0 = Date.now();
    const detector = bootDetectorFor(this.o.guest.name);
    const records: CrashRecord[] = [];
    const unwatch = this.vm.recorder.watch((chunk) => pushAll(records, detector.push(chunk)));
    let onStop!: (e: MachineEvent) => void;
    const stopped = new Promise<MachineEvent>((r) => (onStop = r));
    const unevent = m.onEvent((e) => {
      if (e.type === 'panic' || e.type === 'crashloaded' || e.type === 'exit' || (e.type === 'reset' && e.guest)) onStop(e);
    });
    const exec = ssh.exec(`cat > ${REMOTE} && { ${this.loadCommand}; } 2>&1; rc=$?; ${EXERCISE}; exit $rc`, { stdin: content, timeoutMs: LOAD_TIMEOUT_MS, signal }).then(
      (r) => ({ kind: 'done' as const, r }),
      (e: unknown) => ({ kind: 'failed' as const, e }),
    );
    try {
      let first = await Promise.race([exec, stopped.then((e) => ({ kind: 'stop' as const, e }))]);
      if (signal.aborted) throw new AbortedError('interrupted');
      if (first.kind === 'failed') {
        // The connection dropped or the load hung: a crash on its way, or a hang of the agent.
        first = await Promise.race([stopped.then((e) => ({ kind: 'stop' as const, e })), sleep(5000).then(() => first)]);
      }
      if (first.kind === 'done') {
        // An oops that does not stop the kernel (panicOnOops false) still reaches the console: let it arrive.
        await sleep(300);
        pushAll(records, detector.end());
        const output = (first.r.stdout + first.r.stderr).trim().slice(-600);
        const crash = primaryCrash(records);
        if (!crash) return { outcome: first.r.code === 0 ? 'accepted' : 'refused', output, ms: Date.now() - t0 };
        await this.restart();
        return { outcome: 'crash', crash, output, ms: Date.now() - t0 };
      }
      if (first.kind === 'stop' && first.e.type === 'panic' && m.running) await m.finishPanic?.(PANIC_PATH_MS).catch(() => false);
      await sleep(250);
      pushAll(records, detector.end());
      const crash = primaryCrash(records) ?? this.silentCrash(first);
      await this.restart();
      return { outcome: 'crash', crash, output: '', ms: Date.now() - t0 };
    } finally {
      unwatch();
      unevent();
    }
  }

  private silentCrash(how: { kind: 'stop'; e: MachineEvent } | { kind: 'failed'; e: unknown }): CrashRecord {
    const os = this.o.guest.name;
    const title = how.kind === 'stop' ? (how.e.type === 'panic' ? 'guest panic reported by pvpanic (no crash report on the console)' : `guest ${how.e.type} during a content load (no crash report on the console)`) : 'content load hung (no answer, no crash report)';
    return { os, source: how.kind === 'stop' ? 'qmp' : 'timeout', class: 'unknown', title, signature: signatureOf(title), ...(how.kind === 'failed' ? { excerpt: errMsg(how.e) } : {}) };
  }

  private async restart(): Promise<void> {
    await this.vm.discardMachine();
    this.restores++;
    await this.revive();
  }

  async dispose(): Promise<void> {
    await this.bootVm.dispose();
    await this.liveVm.dispose();
  }
}
