import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import type { BootPolicy } from '../config/suite-schema.js';
import type { GuestOs } from '../guest/guest-os.js';
import type { SshTransport } from '../guest/ssh-transport.js';
import type { BuiltImage } from '../images/catalog.js';
import type { Provider } from '../providers/provider.js';
import type { RecoveryAttempt, RecoveryMethod, RecoveryRecord } from '../results/recovery-record.js';
import { AbortedError } from '../util/errors.js';
import type { BootObservation, ReadyResult } from './boot-watch.js';
import { CellVm } from './cell-vm.js';
import { recoveryPlan } from './recovery-plan.js';
import { rescueAtConsole } from './rescue-boot.js';

export interface DrillContext {
  runDir: string;
  cellId: string;
  /** The cell's scratch folder; each method works in a folder of its own inside it. */
  workDir: string;
  /** The crashed machine's disk (the cell's overlay, its VM stopped). */
  disk: string;
  image: BuiltImage;
  provider: Provider;
  guest: GuestOs;
  agent: AgentDriver;
  boot: BootPolicy;
  labKey: { privateKey: string; publicKey: string };
  signal: AbortSignal;
  /** The build in the guest, for agents that install content with their build. */
  build: PreparedBuild;
  /** What content-rollback installs. */
  rollbackTo?: ContentArtifact;
}

type Step = RecoveryAttempt['steps'][number];
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The recoveries a customer would try after a boot loop, each on its own copy of the crashed
 * machine's disk: the machine boots as found (and crashes: the clock starts there), then the
 * operator edits the boot entry as the method's plan says (run/recovery-plan.ts: module_blacklist=
 * to boot without a kernel module, or the agent's safe-mode parameter); for content-rollback and
 * agent-safe-mode the content is rolled back over SSH in that boot and the machine then boots
 * normally, the agent healthy again. Every boot is real, its console kept beside the
 * cell's.
 */
export async function runRecoveryDrill(x: DrillContext, methods: readonly RecoveryMethod[]): Promise<RecoveryRecord> {
  const attempts: RecoveryAttempt[] = [];
  for (const method of methods) attempts.push(await drill(x, method));
  return { trigger: 'boot-loop', ...(x.rollbackTo && methods.includes('content-rollback') ? { content: x.rollbackTo.version } : {}), attempts };
}

async function drill(x: DrillContext, method: RecoveryMethod): Promise<RecoveryAttempt> {
  const dir = join(x.workDir, `recover-${method}`);
  const steps: Step[] = [];
  let n = 0;
  let vm: CellVm | undefined;
  // One boot of the drill's machine, with the boot entry as given; the VM before it is powered off.
  const boot = async (what: string, extraArgs: string[], onReady: (ssh: SshTransport, s: AbortSignal) => Promise<ReadyResult>): Promise<{ obs: BootObservation; step: Step; vm: CellVm }> => {
    await vm?.dispose();
    vm = new CellVm({ runDir: x.runDir, cellId: x.cellId, workDir: dir, image: x.image, provider: x.provider, guest: x.guest, boot: { ...x.boot, kernelArgs: [...(x.boot.kernelArgs ?? []), ...extraArgs] }, labKey: x.labKey, signal: x.signal });
    const consoleLog = join('cells', x.cellId, `recover-${method}-${++n}.log`);
    const t0 = Date.now();
    let obs: BootObservation;
    try {
      obs = await vm.boot('cold', consoleLog, onReady);
    } catch (e) {
      obs = { outcome: 'lab-error', booted: false, error: errMsg(e), vmState: 'exited' };
    }
    if (x.signal.aborted) throw new AbortedError('interrupted');
    const detail = obs.crash?.title ?? obs.error ?? obs.health?.output?.trim();
    const step: Step = { what, ok: false, ms: Date.now() - t0, consoleLog, ...(detail ? { detail } : {}) };
    steps.push(step);
    return { obs, step, vm };
  };
  try {
    const plan = recoveryPlan(method, x.agent, { name: x.image.manifest.name, userland: x.image.manifest.userland });
    const to = x.rollbackTo;
    if (plan.fix === 'rollback-content' && !to) return { method, recovered: false, agentRunning: false, steps, error: 'no content to roll back to' };
    await mkdir(dir, { recursive: true });
    await copyFile(x.disk, join(dir, 'disk.qcow2'));
    const found = await boot('boot as found', [], async () => ({}));
    found.step.ok = found.obs.outcome === 'crash';
    if (!found.step.ok) return { method, recovered: false, agentRunning: false, steps, error: `the machine did not crash as found (${found.obs.outcome}): nothing to recover from` };
    const crashedAt = Date.now();
    if (plan.reach === 'console') {
      await vm?.dispose();
      vm = undefined;
      const consoleLog = join('cells', x.cellId, `recover-${method}-${++n}.log`);
      const r = await rescueAtConsole({ ...x, dir, consoleLog, args: plan.editedArgs, command: plan.command! });
      steps.push(...r.steps);
      if (!r.removed) return { method, recovered: false, agentRunning: false, steps };
      let health: { ok: boolean; output: string } | undefined;
      const back = await boot('normal boot', [], async (ssh, s) => {
        health = await x.agent.health(ssh, s).catch((e: unknown) => ({ ok: false, output: errMsg(e) }));
        return {};
      });
      back.step.ok = back.obs.outcome === 'ready';
      if (health) back.step.detail = health.ok ? `agent still running: ${health.output}` : 'agent absent';
      return { method, recovered: back.step.ok, agentRunning: health?.ok === true, ...(back.step.ok ? { ms: Date.now() - crashedAt } : {}), steps };
    }
    const inEdited: Step[] = [];
    let agentUp = false;
    let fixed = plan.fix === undefined;
    const b = await boot(`boot with ${plan.editedArgs.join(' ')} (boot entry edited)`, plan.editedArgs, async (ssh, s) => {
      if (plan.agentInEdited || !plan.normalBoot) {
        const h = await x.agent.health(ssh, s).catch((e: unknown) => ({ ok: false, output: errMsg(e) }));
        agentUp = h.ok;
        inEdited.push(
          plan.agentInEdited
            ? { what: 'agent health check (safe mode)', ok: h.ok, ms: 0, detail: h.output.trim() || (h.ok ? 'running' : 'not running') }
            : { what: 'agent health check', ok: true, ms: 0, detail: h.ok ? `running: ${h.output.trim()}` : 'not running (blacklisted)' },
        );
      }
      if (plan.fix === 'rollback-content') {
        const st = await rollBack(x, to!, ssh, s);
        fixed = st.ok;
        inEdited.push(st);
      }
      return {};
    });
    b.step.ok = b.obs.booted;
    steps.push(...inEdited);
    if (!b.obs.booted) return { method, recovered: false, agentRunning: false, steps };
    if (!plan.normalBoot) return { method, recovered: true, agentRunning: agentUp, ms: Date.now() - crashedAt, steps };
    if (!fixed) return { method, recovered: false, agentRunning: false, steps };
    // The edit of the boot entry lasts one boot: the next is the machine's normal boot, agent and all.
    const back = await boot('normal boot', [], async (ssh, s) => ({ health: await x.agent.health(ssh, s) }));
    back.step.ok = back.obs.outcome === 'ready';
    const ok = back.obs.booted && back.obs.health?.ok === true;
    return { method, recovered: ok, agentRunning: ok, ...(ok ? { ms: Date.now() - crashedAt } : {}), steps };
  } catch (e) {
    if (x.signal.aborted) throw e;
    return { method, recovered: false, agentRunning: false, steps, error: errMsg(e) };
  } finally {
    await vm?.dispose();
  }
}

/** The earlier content installed over SSH, as the operator does in the recovery boot. */
async function rollBack(x: DrillContext, to: ContentArtifact, ssh: SshTransport, s: AbortSignal): Promise<Step> {
  const t = Date.now();
  const step: Step = { what: `content ${to.version} installed over SSH`, ok: false, ms: 0 };
  try {
    if (x.agent.updateContent) await x.agent.updateContent(ssh, to, s);
    else await x.agent.install(ssh, x.build, to, s);
    step.ok = true;
  } catch (e) {
    step.detail = errMsg(e);
  }
  step.ms = Date.now() - t;
  return step;
}
