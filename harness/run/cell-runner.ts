import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import type { LoadedSuite } from '../config/suite.js';
import type { LifecycleStep } from '../config/suite-schema.js';
import type { CellPlan } from '../config/matrix.js';
import { judgeCell } from '../gate/cell-verdict.js';
import { waitForSsh, type SshTransport } from '../guest/ssh-transport.js';
import type { BuiltImage } from '../images/catalog.js';
import type { Machine, Provider } from '../providers/provider.js';
import type { CellResult, CycleResult } from '../results/schema.js';
import type { RunStore } from '../results/run-store.js';
import { ConsoleRecorder } from './console-recorder.js';
import { watchBoot, type BootObservation } from './boot-watch.js';
import type { RunEventSink } from './events.js';
import { Teardowns } from './teardowns.js';
import { bootPhases } from '../measure/boot-phases.js';
import { memoryOverhead, workloadOverhead } from '../measure/overhead.js';
import { parseWorkloadTap, workloadCommand, WORKLOAD_GUEST_PATH } from '../measure/workload.js';
import { AbortedError, BootgateError } from '../util/errors.js';
import { roundTo } from '../util/round.js';

export interface CellContext {
  runDir: string;
  plan: CellPlan;
  suite: LoadedSuite;
  image: BuiltImage;
  provider: Provider;
  agent: AgentDriver;
  build: PreparedBuild;
  content: ContentArtifact;
  /** Every build (prepared for this cell's image) and content of the suite, for lifecycle steps. */
  builds: Map<string, PreparedBuild>;
  contents: Map<string, ContentArtifact>;
  /** Host path of the static workload binary, when the suite measures workloads. */
  workloadBinary?: string;
  labKey: { privateKey: string; publicKey: string };
  store: RunStore;
  emit: RunEventSink;
  signal: AbortSignal;
}

type Phase = 'baseline' | 'agent';
type StartKind = 'cold' | 'warm-guest' | 'warm-host';

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * One cell: baseline boots without the agent, install of build and content, then agent cycles
 * until the count is reached or a boot loop is proven. Every cycle is written to run.json as it
 * ends; the VM and its scratch files go away on every exit path.
 */
export class CellRunner {
  private machine?: Machine;
  private ssh?: SshTransport;
  private readonly recorder = new ConsoleRecorder();
  private readonly teardowns = new Teardowns();
  private overlay = '';
  private workDir = '';
  private installed = false;
  private uninstalled = false;

  constructor(private readonly ctx: CellContext) {}

  private get id(): string {
    return this.ctx.plan.id;
  }

  private async patch(fn: (c: CellResult) => void): Promise<void> {
    await this.ctx.store.update((r) => {
      const c = r.cells.find((x) => x.id === this.id);
      if (c) fn(c);
    });
  }

  async run(): Promise<CellResult> {
    const { suite, image, provider, signal } = this.ctx;
    const boot = suite.suite.boot;
    await this.patch((c) => {
      c.status = 'running';
      c.startedAt = new Date().toISOString();
      c.baseline = [];
      c.cycles = [];
      delete c.install;
      delete c.bootLoop;
    });
    this.ctx.emit({ type: 'cell-start', cell: this.id });
    let fatal: string | undefined;
    try {
      this.workDir = await mkdtemp(join(tmpdir(), `bootgate-cell-${basename(this.ctx.runDir)}-`));
      this.teardowns.add('scratch', () => rm(this.workDir, { recursive: true, force: true }));
      this.teardowns.add('console', () => this.recorder.dispose());
      this.teardowns.add('vm', () => this.machine?.dispose());
      this.teardowns.add('ssh', () => this.ssh?.close());
      this.overlay = join(this.workDir, 'disk.qcow2');
      await provider.createOverlay(join(image.dir, image.manifest.files.disk.path), this.overlay, signal);

      // Baseline: the image alone, so a broken image or lab is never blamed on the agent.
      let last: BootObservation | undefined;
      for (let i = 1; i <= boot.baseline; i++) {
        last = await this.cycle('baseline', i, i === 1 ? 'cold' : this.nextStart(last, 'warm'));
        if (!last.booted) return await this.finish();
      }
      if (!last) last = await this.cycle('baseline', 1, 'cold', true);
      if (!last.booted || !this.ssh) return await this.finish();

      const steps = suite.suite.lifecycle ?? [{ action: 'install' as const, version: undefined }];
      let failedInRow = 0;
      let n = 0;
      stepLoop: for (const [si, step] of steps.entries()) {
        // A step needs a guest that answers: after a boot that did not come up, the cell is over.
        if (!this.ssh) break;
        if (!(await this.runStep(si + 1, step, steps.length > 1))) break;
        for (let i = 1; i <= boot.cycles; i++) {
          last = await this.cycle('agent', ++n, this.nextStart(last, boot.reboot), false, steps.length > 1 ? si + 1 : undefined);
          if (last.outcome === 'lab-error') break stepLoop;
          failedInRow = last.booted ? 0 : failedInRow + 1;
          if (failedInRow >= boot.bootLoop) {
            await this.patch((c) => (c.bootLoop = true));
            break stepLoop;
          }
        }
      }
    } catch (e) {
      if (!(e instanceof BootgateError) && !(e instanceof Error)) throw e;
      fatal = signal.aborted ? 'interrupted' : errMsg(e);
    }
    return this.finish(fatal);
  }

  /** How the next boot starts: as the suite asks, unless the VM's state forces a way. */
  private nextStart(prev: BootObservation | undefined, want: 'warm' | 'cold'): StartKind {
    if (!prev || prev.vmState === 'exited' || want === 'cold') return 'cold';
    if (prev.vmState === 'paused' || !prev.booted || !this.ssh) return 'warm-host';
    return 'warm-guest';
  }

  private currentBuild?: PreparedBuild;
  private contentHistory: ContentArtifact[] = [];

  /** One lifecycle step on the running guest; false when it failed (the cell stops there). */
  private async runStep(index: number, step: LifecycleStep, many: boolean): Promise<boolean> {
    const { agent, signal } = this.ctx;
    const t = this.ssh!;
    const t0 = Date.now();
    try {
      switch (step.action) {
        case 'install':
          this.currentBuild = this.ctx.build;
          this.contentHistory = [this.ctx.content];
          await agent.install(t, this.ctx.build, this.ctx.content, signal);
          this.installed = true;
          if (this.ctx.workloadBinary) {
            await t.exec('mkdir -p /opt/bootgate /var/lib/bootgate-work', { signal, timeoutMs: 30_000 });
            await t.upload(this.ctx.workloadBinary, WORKLOAD_GUEST_PATH, { signal, mode: 0o755 });
          }
          break;
        case 'upgrade': {
          this.currentBuild = this.ctx.builds.get(step.version!)!;
          await agent.install(t, this.currentBuild, this.contentHistory.at(-1)!, signal);
          break;
        }
        case 'update-content': {
          const c = this.ctx.contents.get(step.version!)!;
          this.contentHistory.push(c);
          if (agent.updateContent) await agent.updateContent(t, c, signal);
          else await agent.install(t, this.currentBuild!, c, signal);
          break;
        }
        case 'rollback-content': {
          if (this.contentHistory.length < 2) throw new Error('no earlier content to roll back to');
          this.contentHistory.pop();
          const c = this.contentHistory.at(-1)!;
          if (agent.updateContent) await agent.updateContent(t, c, signal);
          else await agent.install(t, this.currentBuild!, c, signal);
          break;
        }
        case 'uninstall':
          await agent.uninstall(t, signal);
          this.installed = false;
          this.uninstalled = true;
          break;
      }
      const ms = Date.now() - t0;
      await this.patch((c) => {
        if (step.action === 'install') c.install = { ok: true, ms };
        if (many) (c.steps ??= []).push({ index, action: step.action, version: step.version, ok: true, ms });
      });
      if (step.action === 'install') this.ctx.emit({ type: 'install', cell: this.id, ok: true, ms });
      return true;
    } catch (e) {
      if (signal.aborted) throw e;
      const error = errMsg(e);
      const ms = Date.now() - t0;
      await this.patch((c) => {
        if (step.action === 'install') c.install = { ok: false, ms, error };
        if (many) (c.steps ??= []).push({ index, action: step.action, version: step.version, ok: false, ms, error });
      });
      if (step.action === 'install') this.ctx.emit({ type: 'install', cell: this.id, ok: false, ms, error });
      return false;
    }
  }

  private kernelArgs(): string[] {
    const boot = this.ctx.suite.suite.boot;
    const key = this.ctx.labKey.publicKey.split(/\s+/)[1]!;
    // loglevel=5 keeps boot chatter off the slow serial line but shows every warning and oops.
    // The image's own arguments first (a disk image names its root device).
    return [...(this.ctx.image.manifest.kernelArgs ?? []), 'loglevel=5', 'panic=-1', ...(boot.panicOnOops ? ['oops=panic'] : []), ...(boot.kernelArgs ?? []), `bootgate.authkey=${key}`];
  }

  private async startBoot(how: StartKind): Promise<number> {
    const { image, provider, signal } = this.ctx;
    if (how === 'warm-guest') {
      const ssh = this.ssh!;
      this.ssh = undefined;
      const m = this.machine!;
      const reset = new Promise<number | undefined>((resolve) => {
        const t = setTimeout(() => (off(), resolve(undefined)), 30_000);
        const off = m.onEvent((e) => {
          if (e.type === 'reset' || e.type === 'exit') {
            clearTimeout(t);
            off();
            resolve(e.type === 'reset' ? e.at : undefined);
          }
        });
      });
      // The connection drops as the guest reboots: that ends the exec, not an error.
      void ssh.exec('sync; reboot -f', { timeoutMs: 10_000 }).catch(() => undefined);
      const at = await reset;
      await ssh.close();
      if (at !== undefined) return at;
      // The guest did not reboot on request: force it, the boot still counts as warm.
      if (m.running) {
        await m.hostReset();
        return Date.now();
      }
      return this.startBoot('cold');
    }
    await this.ssh?.close();
    this.ssh = undefined;
    if (how === 'warm-host' && this.machine?.running) {
      await this.machine.hostReset();
      return Date.now();
    }
    if (this.machine) {
      await this.machine.dispose();
      this.machine = undefined;
    }
    const r = image.recipe.recipe;
    this.machine = await provider.start(
      {
        // The run id in the process name: leftovers of one run can be told from another's VMs.
        name: `${basename(this.ctx.runDir)}.${this.id}`,
        workDir: join(this.workDir, 'vm'),
        disk: this.overlay,
        kernel: image.manifest.files.kernel && join(image.dir, image.manifest.files.kernel.path),
        initrd: image.manifest.files.initrd && join(image.dir, image.manifest.files.initrd.path),
        kernelArgs: this.kernelArgs(),
        memoryMiB: r.memoryMiB,
        cpus: r.cpus,
        guestSshPort: 22,
        instructionClock: this.ctx.suite.suite.workloads?.instructionClock,
      },
      signal,
    );
    this.recorder.attach(this.machine);
    if (process.env.BOOTGATE_TRACE) {
      const t0 = this.machine.startedAt;
      this.machine.onEvent((e) => process.stderr.write(`trace ${this.id} +${((e.at - t0) / 1000).toFixed(2)}s ${JSON.stringify(e)}\n`));
    }
    return this.machine.startedAt;
  }

  private async cycle(phase: Phase, index: number, how: StartKind, quiet = false, step?: number): Promise<BootObservation> {
    const { runDir, suite, image, labKey, signal } = this.ctx;
    const boot = suite.suite.boot;
    const kind = how === 'cold' ? 'cold' : 'warm';
    const consoleLog = join('cells', this.id, `${phase}-${index}.log`);
    this.ctx.emit({ type: 'cycle-start', cell: this.id, phase, index, kind });
    await this.recorder.switchTo(join(runDir, consoleLog));
    const startedIso = new Date().toISOString();
    let obs: BootObservation;
    try {
      const startedAt = await this.startBoot(how);
      obs = await watchBoot({
        machine: this.machine!,
        recorder: this.recorder,
        startedAt,
        timeoutMs: boot.timeout,
        settleMs: boot.settle,
        silenceMs: boot.silence,
        signal,
        onMarker: async (marker, sig) => {
          const ssh = await waitForSsh({
            host: this.machine!.ssh.host,
            port: this.machine!.ssh.port,
            username: 'root',
            privateKey: labKey.privateKey,
            hostKey: { expected: image.manifest.hostKey },
            deadlineMs: Math.max(1000, startedAt + boot.timeout - Date.now()),
            readyTimeoutMs: 20_000,
            signal: sig,
          });
          this.ssh = ssh;
          // The boot id read over SSH must be the one on the console: proof that this is the new boot.
          const id = (await ssh.exec('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 15_000, signal: sig })).stdout.trim();
          if (id !== marker.bootId) throw new Error(`SSH reached boot ${id}, the console says ${marker.bootId}`);
          if (this.installed) return { health: await this.ctx.agent.health(ssh, sig) };
          if (!this.uninstalled) return {};
          // After uninstall the agent must be gone: its health check has to fail.
          const h = await this.ctx.agent.health(ssh, sig);
          return { health: { ok: !h.ok, output: h.ok ? `still running after uninstall: ${h.output}` : 'absent after uninstall' } };
        },
      });
      const startedAtFinal = startedAt;
      if (obs.markerAt !== undefined) obs.markerAt -= startedAtFinal;
      if (obs.readyAt !== undefined) obs.readyAt -= startedAtFinal;
    } catch (e) {
      obs = { outcome: 'lab-error', booted: false, error: errMsg(e), vmState: this.machine?.running ? 'running' : 'exited' };
    }
    // An interrupted boot is no evidence either way: it is left out, and the cell says why.
    if (signal.aborted) throw new AbortedError('interrupted');
    let workloads: CycleResult['workloads'];
    let memory: CycleResult['memory'];
    let workloadError: string | undefined;
    if (phase === 'agent' && obs.outcome === 'ready' && this.installed && this.ssh && suite.suite.workloads) {
      try {
        const k = this.ctx.agent;
        if (!k.pause || !k.resume) throw new Error(`agent kind ${k.kind} cannot be paused: workloads need it`);
        memory = await this.measureMemory(this.ssh);
        workloads = await this.measureWorkloads(this.ssh);
      } catch (e) {
        if (signal.aborted) throw new AbortedError('interrupted');
        workloadError = errMsg(e);
      }
    }
    const cycle: CycleResult = {
      index,
      phase,
      kind,
      booted: obs.booted,
      outcome: obs.outcome,
      startedAt: startedIso,
      bootMs: obs.markerAt,
      readyMs: obs.readyAt,
      guestReadyUptimeMs: obs.marker?.uptimeMs,
      bootId: obs.marker?.bootId,
      crash: obs.crash,
      health: obs.health,
      error: obs.error,
      consoleLog,
      step,
      workloads,
      memory,
      workloadError,
      phases: obs.booted ? bootPhases({ marks: obs.phaseMarks ?? new Map(), readyUptimeMs: obs.marker?.uptimeMs, bootMs: obs.markerAt, readyMs: obs.readyAt }) : undefined,
    };
    if (!quiet) {
      await this.patch((c) => (phase === 'baseline' ? c.baseline : c.cycles).push(cycle));
      this.ctx.emit({ type: 'cycle-end', cell: this.id, cycle });
    }
    return obs;
  }

  /** MemAvailable and Slab with the agent paused and running, and the agent's own footprint. */
  private async measureMemory(t: SshTransport): Promise<NonNullable<CycleResult['memory']>> {
    const { agent, signal } = this.ctx;
    const read = async () => {
      const txt = (await t.exec('sync; cat /proc/meminfo', { signal, timeoutMs: 30_000 })).stdout;
      const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(txt)?.[1] ?? NaN);
      return { avail: kib('MemAvailable'), slab: kib('Slab') };
    };
    await agent.pause!(t, signal);
    let a;
    try {
      a = await read();
    } finally {
      await agent.resume!(t, signal);
    }
    const b = await read();
    const agentBytes = agent.footprint ? await agent.footprint(t, signal) : undefined;
    return { memAvailableKiB: { a: a.avail, b: b.avail }, slabKiB: { a: a.slab, b: b.slab }, agentBytes };
  }

  /**
   * Workloads in this boot, without the agent (a) and with it (b), in rounds a b a b: drift over
   * the boot falls on both sides alike. The agent is paused and resumed, not uninstalled.
   */
  private async measureWorkloads(t: SshTransport): Promise<NonNullable<CycleResult['workloads']>> {
    const w = this.ctx.suite.suite.workloads!;
    const { agent, signal } = this.ctx;
    if (!agent.pause || !agent.resume) throw new Error(`agent kind ${agent.kind} cannot be paused: workloads need it`);
    const cmd = workloadCommand({ names: w.names, iterations: w.iterations, batches: w.batches, dir: '/var/lib/bootgate-work' });
    const run = async () => {
      const r = await t.exec(cmd, { signal, timeoutMs: 600_000 });
      return parseWorkloadTap(r.stdout);
    };
    const out: NonNullable<CycleResult['workloads']> = {};
    const add = (side: 'a' | 'b', m: Map<string, number[]>) => {
      for (const [name, samples] of m) (out[name] ??= { a: [], b: [] })[side].push(...samples);
    };
    for (let r = 0; r < w.rounds; r++) {
      await agent.pause(t, signal);
      try {
        add('a', await run());
      } finally {
        await agent.resume(t, signal);
      }
      add('b', await run());
    }
    return out;
  }

  private async finish(fatal?: string): Promise<CellResult> {
    const cleanup = await this.teardowns.run();
    const policy = this.ctx.suite.suite.gate;
    let result!: CellResult;
    await this.patch((c) => {
      const j = judgeCell(c, policy);
      c.status = 'done';
      c.endedAt = new Date().toISOString();
      const wl = workloadOverhead(c.cycles);
      const mem = memoryOverhead(c.cycles);
      if (wl.length || mem) c.overhead = { workloads: wl.map((e) => ({ ...e, ratio: roundTo(e.ratio, 4), ciLow: roundTo(e.ciLow, 4), ciHigh: roundTo(e.ciHigh, 4) })), memory: mem };
      c.rules = j.rules;
      if (fatal) {
        c.verdict = 'error';
        c.reason = fatal === 'interrupted' ? 'interrupted: the run was stopped before this cell finished' : `lab error: ${fatal}`;
      } else {
        c.verdict = j.verdict;
        c.reason = j.reason;
      }
      if (cleanup.length) c.reason += ` (cleanup: ${cleanup.join('; ')})`;
      result = structuredClone(c);
    });
    this.ctx.emit({ type: 'cell-end', cell: result });
    return result;
  }
}
