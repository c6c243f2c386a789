import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { CellPlan } from '../config/matrix.js';
import type { LoadedSuite } from '../config/suite.js';
import { suiteAgents, type LifecycleStep } from '../config/suite-schema.js';
import { judgeCell } from '../gate/cell-verdict.js';
import { memoryOverhead, workloadOverhead } from '../gate/overhead.js';
import type { SshTransport } from '../guest/ssh-transport.js';
import type { BuiltImage } from '../images/catalog.js';
import { measureMemory, measureWorkloads, type AgentSwitch } from '../measure/agent-cost.js';
import { runSelftest, type SelftestSpec } from '../measure/selftest.js';
import type { Provider } from '../providers/provider.js';
import type { Journal } from '../results/journal.js';
import type { RunStore } from '../results/run-store.js';
import type { CellResult, CycleResult } from '../results/schema.js';
import { AbortedError, BootgateError } from '../util/errors.js';
import type { BootObservation, ReadyResult } from './boot-watch.js';
import type { BaselinePool } from './baseline-pool.js';
import { CellVm, type StartKind } from './cell-vm.js';
import { cycleResultOf } from './cycle-result.js';
import { attributeEarlierCrashes } from './earlier-crashes.js';
import type { RunEventSink } from './events.js';
import { LIFECYCLE_STEPS, type AgentAssets, type AgentState } from './lifecycle-steps.js';
import { SCRATCH_PREFIX, writeOwner } from './leftovers.js';
import { Teardowns } from './teardowns.js';
import { roundTo } from '../util/round.js';
import { drillMethods, rollbackContent } from '../config/recover-checks.js';
import { runRecoveryDrill } from './recovery-drill.js';

export interface CellContext extends AgentAssets {
  runDir: string;
  plan: CellPlan;
  suite: LoadedSuite;
  image: BuiltImage;
  provider: Provider;
  labKey: { privateKey: string; publicKey: string };
  store: RunStore;
  /** Every finished cycle and cell goes here, on disk, before it is reported. */
  journal: Journal;
  emit: RunEventSink;
  /** This run of the cell, from 1; the attempts after the first follow a lab error. */
  attempt: number;
  /** How many more times a lab error may be retried after this attempt. */
  retriesLeft: number;
  /** The run's shared baselines, when this cell starts from its image's instead of booting its own. */
  baselines?: BaselinePool;
}

type Phase = 'baseline' | 'agent';

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * One cell, as a state machine: baseline boots without the agent, then each lifecycle step
 * (install by default) followed by agent cycles, until the count is reached or a boot loop is
 * proven; then the judge (gate/) gives the verdict. Every cycle is written to run.json as it
 * ends; the VM and its scratch files go away on every exit path. Guest commands live in the
 * guest's OS adapter, boots in CellVm, measurement in measure/.
 */
export class CellRunner {
  private vm?: CellVm;
  private readonly teardowns = new Teardowns();
  private readonly state: AgentState = { contents: [], installed: false, uninstalled: false };
  /** Set when this attempt ended in a lab error that is to be retried: the cell is not over. */
  retrying = false;

  constructor(private readonly ctx: CellContext) {}

  private get id(): string {
    return this.ctx.plan.id;
  }

  /** The cell's files in the run folder; a retried cell keeps every attempt's: later attempts write beside the first's. */
  private get cellDir(): string {
    return join('cells', this.id, ...(this.ctx.attempt > 1 ? [`attempt-${this.ctx.attempt}`] : []));
  }

  private async patch(fn: (c: CellResult) => void): Promise<void> {
    await this.ctx.store.update((r) => {
      const c = r.cells.find((x) => x.id === this.id);
      if (c) fn(c);
    });
  }

  async run(): Promise<CellResult> {
    const { suite, signal } = this.ctx;
    const boot = suite.suite.boot;
    await this.patch((c) => {
      c.status = 'running';
      c.startedAt = new Date().toISOString();
      c.baseline = [];
      c.cycles = [];
      for (const k of ['baselineFrom', 'install', 'bootLoop', 'stopped', 'verdict', 'reason', 'rules', 'overhead', 'steps', 'recovery', 'endedAt'] as const) delete c[k];
      if (this.ctx.attempt > 1) c.attempt = this.ctx.attempt;
    });
    this.ctx.emit({ type: 'cell-start', cell: this.id });
    let stopped: CellResult['stopped'];
    try {
      const workDir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${basename(this.ctx.runDir)}-`));
      this.teardowns.add('scratch', () => rm(workDir, { recursive: true, force: true }));
      await writeOwner(workDir);
      const shared = await this.ctx.baselines?.get(this.ctx.image, this.ctx.attempt);
      // A baseline that booted but could not be saved is no reason to skip the cell's own.
      const useShared = shared !== undefined && (shared.saved !== undefined || shared.result.cycles.some((c) => !c.booted));
      const vm = (this.vm = new CellVm({ ...this.ctx, cellId: this.id, workDir, boot, instructionClock: suite.suite.workloads?.instructionClock, readyGraceMs: this.selftest?.timeoutMs, generationId: useShared }));
      this.teardowns.add('vm', () => vm.dispose());

      let last: BootObservation | undefined;
      if (useShared) {
        // The image's shared baseline stands for this cell's own: copied in, so the cell is judged on it.
        const { result, saved, bootId } = shared;
        await this.patch((c) => {
          c.baseline = structuredClone(result.cycles);
          c.baselineFrom = { id: result.id };
        });
        if (!saved || !bootId) return await this.finish();
        const t0 = Date.now();
        await vm.restore(saved, bootId, join(this.cellDir, 'restored.log'));
        await this.patch((c) => (c.baselineFrom = { id: result.id, restoreMs: Date.now() - t0 }));
        last = { outcome: 'ready', booted: true, vmState: 'running' };
      } else {
        await vm.createOverlay();
        // Baseline: the image alone, so a broken image or lab is never blamed on the agent.
        for (let i = 1; i <= boot.baseline; i++) {
          last = await this.cycle('baseline', i, i === 1 ? 'cold' : vm.nextStart(last, 'warm'));
          if (!last.booted) return await this.finish();
        }
        if (!last) last = await this.cycle('baseline', 1, 'cold', true);
      }
      if (!last.booted || !vm.ssh) return await this.finish();

      const steps = suite.suite.lifecycle ?? [{ action: 'install' as const, version: undefined }];
      let failedInRow = 0;
      let n = 0;
      stepLoop: for (const [si, step] of steps.entries()) {
        // A step needs a guest that answers: after a boot that did not come up, the cell is over.
        if (!vm.ssh) break;
        if (!(await this.runStep(vm.ssh, si + 1, step, steps.length > 1))) break;
        for (let i = 1; i <= boot.cycles; i++) {
          last = await this.cycle('agent', ++n, vm.nextStart(last, boot.reboot), false, steps.length > 1 ? si + 1 : undefined);
          if (last.outcome === 'lab-error') break stepLoop;
          failedInRow = last.booted ? 0 : failedInRow + 1;
          if (failedInRow >= boot.bootLoop) {
            await this.patch((c) => (c.bootLoop = true));
            if (suite.suite.recover) await this.recover(vm, workDir);
            break stepLoop;
          }
        }
      }
    } catch (e) {
      if (!(e instanceof BootgateError) && !(e instanceof Error)) throw e;
      stopped = signal.aborted ? { cause: 'interrupted', message: 'the run was stopped' } : { cause: 'lab', message: errMsg(e) };
    }
    return this.finish(stopped);
  }

  /** The suite's recovery drills on copies of the machine the boot loop left (run/recovery-drill.ts). */
  private async recover(vm: CellVm, workDir: string): Promise<void> {
    const { suite, plan } = this.ctx;
    await vm.dispose();
    const agent = suiteAgents(suite.suite).find((a) => a.agent.name === plan.agent)!.agent;
    const to = rollbackContent(suite.suite, this.state.contents.at(-1)?.version ?? plan.content.version);
    const recovery = await runRecoveryDrill(
      { ...this.ctx, cellId: this.id, workDir, disk: join(workDir, 'disk.qcow2'), boot: suite.suite.boot, build: this.state.build ?? this.ctx.build, rollbackTo: to === undefined ? undefined : this.ctx.contents.get(to) },
      drillMethods(suite.suite, agent, this.ctx.image.manifest),
    );
    await this.patch((c) => (c.recovery = recovery));
  }

  /** One lifecycle step on the running guest; false when it failed (the cell stops there). */
  private async runStep(t: SshTransport, index: number, step: LifecycleStep, many: boolean): Promise<boolean> {
    const { signal } = this.ctx;
    const t0 = Date.now();
    let error: string | undefined;
    try {
      await LIFECYCLE_STEPS[step.action]({ ...this.ctx, t, state: this.state }, step.version);
    } catch (e) {
      if (signal.aborted) throw e;
      error = errMsg(e);
    }
    const ms = Date.now() - t0;
    const ok = error === undefined;
    await this.patch((c) => {
      if (step.action === 'install') c.install = { ok, ms, ...(error !== undefined ? { error } : {}) };
      if (many) (c.steps ??= []).push({ index, action: step.action, version: step.version, ok, ms, ...(error !== undefined ? { error } : {}) });
    });
    if (step.action === 'install') this.ctx.emit({ type: 'install', cell: this.id, ok, ms, ...(error !== undefined ? { error } : {}) });
    return ok;
  }

  /** The suite's self-test of this cell's agent, if it has one. */
  private get selftest(): SelftestSpec | undefined {
    return suiteAgents(this.ctx.suite.suite).find((a) => a.agent.name === this.ctx.plan.agent)?.agent.selftest;
  }

  /**
   * What a ready boot is asked: the agent's health while installed, then its self-test (the suite's
   * `selftest:`, each boot, whatever the health said: its points tell more); after uninstall, that
   * the agent is gone.
   */
  private async onReady(ssh: SshTransport, signal: AbortSignal): Promise<ReadyResult> {
    if (this.state.installed) {
      const health = await this.ctx.agent.health(ssh, signal);
      const spec = this.selftest;
      // Asked again at the end of the boot's soak (boot-watch.ts).
      const recheck = (s: AbortSignal) => this.ctx.agent.health(ssh, s);
      return spec ? { health, selftest: await runSelftest(ssh, this.ctx.guest, spec, signal), recheck } : { health, recheck };
    }
    if (!this.state.uninstalled) return {};
    const h = await this.ctx.agent.health(ssh, signal);
    return { health: { ok: !h.ok, output: h.ok ? `still running after uninstall: ${h.output}` : 'absent after uninstall' } };
  }

  private async cycle(phase: Phase, index: number, how: StartKind, quiet = false, step?: number): Promise<BootObservation> {
    const { signal } = this.ctx;
    const vm = this.vm!;
    const kind = how === 'cold' ? 'cold' : 'warm';
    const consoleLog = join(this.cellDir, `${phase}-${index}.log`);
    const boot = this.ctx.suite.suite.boot;
    const of = quiet ? undefined : phase === 'baseline' ? boot.baseline : boot.cycles * (this.ctx.suite.suite.lifecycle?.length ?? 1);
    this.ctx.emit({ type: 'cycle-start', cell: this.id, phase, index, kind, ...(of ? { of } : {}) });
    const startedIso = new Date().toISOString();
    let obs: BootObservation;
    try {
      obs = await vm.boot(how, consoleLog, (ssh, sig) => this.onReady(ssh, sig));
    } catch (e) {
      obs = { outcome: 'lab-error', booted: false, error: errMsg(e), vmState: vm.machine?.running ? 'running' : 'exited' };
    }
    // An interrupted boot is no evidence either way: it is left out, and the cell says why.
    if (signal.aborted) throw new AbortedError('interrupted');
    const cost = phase === 'agent' && obs.outcome === 'ready' && this.state.installed && vm.ssh ? await this.measure(vm.ssh) : {};
    const cycle = cycleResultOf(obs, { index, phase, kind, startedAt: startedIso, consoleLog, step }, cost);
    // Crashes of the boots before this one, which the guest recorded itself (Windows: event log, dumps).
    if (obs.earlier) {
      const earlier = obs.earlier;
      await this.patch((c) => void attributeEarlierCrashes([...c.baseline, ...c.cycles], earlier));
    }
    if (!quiet) {
      await this.patch((c) => (phase === 'baseline' ? c.baseline : c.cycles).push(cycle));
      await this.ctx.journal.append({ type: 'cycle', cell: this.id, cycle });
      this.ctx.emit({ type: 'cycle-end', cell: this.id, cycle });
    }
    return obs;
  }

  /** Memory and workloads with and without the agent in this boot, when the suite measures them. */
  private async measure(t: SshTransport): Promise<Pick<CycleResult, 'memory' | 'workloads' | 'workloadError'>> {
    const w = this.ctx.suite.suite.workloads;
    if (!w) return {};
    const { agent, guest, signal } = this.ctx;
    try {
      if (!agent.pause || !agent.resume) throw new Error(`agent kind ${agent.kind} cannot be paused: workloads need it`);
      const sw: AgentSwitch = {
        pause: (s) => agent.pause!(t, s),
        resume: (s) => agent.resume!(t, s),
        ...(agent.footprint ? { footprint: (s?: AbortSignal) => agent.footprint!(t, s) } : {}),
      };
      const memory = await measureMemory(t, guest, sw, signal);
      const workloads = await measureWorkloads(t, guest, sw, w, signal);
      return { memory, workloads };
    } catch (e) {
      if (signal.aborted) throw new AbortedError('interrupted');
      return { workloadError: errMsg(e) };
    }
  }

  /** Teardown, then the judge's verdict on the cell as it stands. */
  private async finish(stopped?: CellResult['stopped']): Promise<CellResult> {
    const cleanup = await this.teardowns.run();
    const policy = this.ctx.suite.suite.gate;
    let result!: CellResult;
    await this.patch((c) => {
      c.status = 'done';
      c.endedAt = new Date().toISOString();
      if (stopped) c.stopped = stopped;
      const wl = workloadOverhead(c.cycles);
      const mem = memoryOverhead(c.cycles);
      if (wl.length || mem) c.overhead = { workloads: wl.map((e) => ({ ...e, ratio: roundTo(e.ratio, 4), ciLow: roundTo(e.ciLow, 4), ciHigh: roundTo(e.ciHigh, 4) })), memory: mem };
      const j = judgeCell(c, policy);
      c.verdict = j.verdict;
      c.reason = j.reason + (cleanup.length ? ` (cleanup: ${cleanup.join('; ')})` : '');
      c.rules = j.rules;
      result = structuredClone(c);
      // A lab error is no evidence about the agent: run the cell again, keeping this attempt as it ended.
      if (j.verdict === 'error' && c.stopped?.cause !== 'interrupted' && !this.ctx.signal.aborted && this.ctx.retriesLeft > 0) {
        this.retrying = true;
        const { id: _i, image: _im, agent: _a, content: _c, status: _s, repeat: _r, attempt: _n, attempts: prior, ...ran } = c;
        c.attempts = [...(prior ?? []), { ...ran, attempt: this.ctx.attempt }];
        c.status = 'pending';
      }
    });
    // A finished cell is on disk before anyone hears of it; an interrupted one is not finished (a resume runs it again).
    if (!this.retrying && result.stopped?.cause !== 'interrupted') await this.ctx.journal.append({ type: 'cell', cell: result });
    if (this.retrying) this.ctx.emit({ type: 'cell-retry', cell: this.id, attempt: this.ctx.attempt + 1, reason: result.reason ?? 'error' });
    else this.ctx.emit({ type: 'cell-end', cell: result });
    return result;
  }
}
