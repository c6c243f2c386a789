import type { WarmRestart } from './warm-reboot.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { signatureOf, type CrashRecord } from '../results/crash-record.js';
import { bootDetectorFor } from '../detect/registry.js';
import type { Machine, MachineEvent } from '../providers/provider.js';
import type { ConsoleRecorder } from './console-recorder.js';
import { ReadyMarkerScanner, type ReadyMarker } from './ready-marker.js';
import { phaseMarks } from '../measure/boot-phases.js';
import { pushAll } from '../util/arrays.js';
import type { SelftestRecord } from '../results/selftest-record.js';

export type BootOutcome = 'ready' | 'crash' | 'timeout' | 'unhealthy' | 'lab-error';

export interface ReadyResult {
  health?: { ok: boolean; output: string };
  /** The agent's self-test, when the suite has one: not ok makes the boot unhealthy. */
  selftest?: SelftestRecord;
  /**
   * The agent's health asked again at the end of the soak. Given for boots with the agent
   * installed: only those are soaked.
   */
  recheck?: (signal: AbortSignal) => Promise<{ ok: boolean; output: string }>;
  /** Crashes of earlier boots the guest recorded itself (Windows: event log, dumps), read in this one. */
  earlier?: CrashRecord[];
}

export interface BootObservation {
  outcome: BootOutcome;
  booted: boolean;
  marker?: ReadyMarker;
  markerAt?: number;
  readyAt?: number;
  crash?: CrashRecord;
  health?: { ok: boolean; output: string };
  selftest?: SelftestRecord;
  error?: string;
  /** A warm boot: how the guest's reboot was carried out (boot.warmReboot). */
  restart?: WarmRestart;
  /** The VM is paused at a panic (needs a host reset) or gone (needs a cold boot). */
  vmState: 'running' | 'paused' | 'exited';
  /** `bootgate-phase` marks the guest printed before ready (name -> kernel uptime ms). */
  phaseMarks?: Map<string, number>;
  /** When the kernel's real-mode set-up code printed its first line (bzImage boots; before decompression). */
  setupAt?: number;
  /** Crashes of earlier boots that this boot's guest had recorded (ReadyResult.earlier). */
  earlier?: CrashRecord[];
}

export interface WatchBootOptions {
  machine: Machine;
  /** The guest's OS: picks the crash detector and the OS of the records made here. */
  os: 'linux' | 'windows';
  recorder: ConsoleRecorder;
  /** Host time the boot started: VM start for cold, the reset for warm. */
  startedAt: number;
  timeoutMs: number;
  /**
   * Time added to the boot's deadline once the ready marker is seen, for checks that bring their
   * own timeout (the agent's self-test): a slow self-test fails itself, not the boot.
   */
  readyGraceMs?: number;
  settleMs: number;
  /**
   * How long a boot with the agent installed is watched after it is ready (instead of settleMs
   * when longer): a crash in it is the boot's, and the agent's health is asked again at its end.
   * Long enough for the lockup and hung-task watchdogs the lab sets short (cell-vm.ts).
   */
  soakMs?: number;
  /** No console output for this long before the ready marker: a hang of its own class. */
  silenceMs?: number;
  /**
   * Where the ready marker comes from when the guest prints none (Windows: SSH answers from a new
   * boot); the console's marker otherwise. A rejection is kept for the timeout's record.
   */
  markerProbe?: (signal: AbortSignal) => Promise<ReadyMarker>;
  /** Called once the guest printed its ready marker: connect, check the boot, run health. */
  onMarker: (m: ReadyMarker, signal: AbortSignal) => Promise<ReadyResult>;
  signal?: AbortSignal;
}

/** After a panic event, the console bytes already sent may still be in the pipe. */
const FLUSH_MS = 250;

/**
 * How long a Linux guest paused at its panic notice may run on to the end of its panic path.
 * The kernel flushes what it printed in an exception's context (a double fault, an NMI) only
 * after the pvpanic notice: stopped there, a stack overflow's report never reaches the console.
 */
export const PANIC_PATH_MS = 5000;

/**
 * A guest that prints nothing (Windows) gives no console output to tell this boot's resets from
 * the tail of the one that started it: a reset this soon after the start is that tail.
 */
const RESET_TAIL_MS = 1000;

/** How long the health check at the end of a soak may take. */
const RECHECK_MS = 30_000;

/** Classes that do not stop a kernel by themselves: a fatal report after one is the boot's crash. */
const NON_FATAL = new Set(['warning', 'lockdep', 'memory-leak', 'ubsan', 'kfence', 'kasan', 'kmsan']);

/** The crash a boot is remembered by: the first fatal-looking report, else the first report. */
export function primaryCrash(records: CrashRecord[]): CrashRecord | undefined {
  return records.find((r) => !NON_FATAL.has(r.class)) ?? records[0];
}

type Stop = { kind: 'panic' | 'reset' | 'exit' | 'shutdown' | 'silence'; event?: MachineEvent };

function timeoutRecord(os: CrashRecord['os'], what: string, seconds: number, last?: string): CrashRecord {
  const title = `boot timeout: ${what}`;
  return { os, source: 'timeout', class: 'boot-timeout', title, signature: signatureOf(title), excerpt: `no progress within ${seconds}s${last ? `; last: ${last}` : ''}` };
}

/**
 * The first line an x86 kernel's real-mode set-up code prints (arch/x86/boot/edd.c, with CONFIG_EDD),
 * before the decompressor runs: it splits the time before the kernel's clock into firmware and
 * decompression. The set-up code writes to the serial line only when the command line enables its
 * early console (earlyprintk=serial,...; console=ttyS0 alone does not), and a kernel started at its
 * PVH entry has no set-up code: most boots print none.
 */
const SETUP_LINE = /Probing EDD \(edd=off to disable\)/;

/**
 * Watch one boot until the guest is ready (marker, then SSH and health, then a settle time),
 * crashes, hangs past its timeout, or its VM dies. Crash evidence is the console parser's record;
 * a panic event with nothing on the console still gives a record, from pvpanic.
 */
export async function watchBoot(o: WatchBootOptions): Promise<BootObservation> {
  const detector = bootDetectorFor(o.os);
  const os = o.os;
  const scanner = new ReadyMarkerScanner();
  const records: CrashRecord[] = [];
  let marker: { m: ReadyMarker; at: number } | undefined;
  let stopResolve!: (s: Stop) => void;
  const stopped = new Promise<Stop>((r) => (stopResolve = r));
  let markerResolve!: () => void;
  const markerSeen = new Promise<void>((r) => (markerResolve = r));

  // A reset that arrives before this boot printed anything is the tail of the reset that
  // started it (a guest reboot can raise two RESET events), not a new failure.
  let printed = false;
  let early = '';
  let setupAt: number | undefined;
  let silenceTimer: NodeJS.Timeout | undefined;
  const armSilence = () => {
    if (!o.silenceMs || marker) return;
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => stopResolve({ kind: 'silence' }), o.silenceMs);
  };
  armSilence();
  const unwatch = o.recorder.watch((chunk) => {
    printed = true;
    armSilence();
    // A non-fatal report (a WARNING, an oops without panic_on_oops) does not end the boot:
    // a fatal one ends it through the panic event, a reset, or the timeout.
    pushAll(records, detector.push(chunk));
    if (!marker) {
      // The console up to the ready marker is small (loglevel=5): kept for its phase marks.
      if (early.length < 256 << 10) early += chunk;
      if (setupAt === undefined && SETUP_LINE.test(early)) setupAt = Date.now();
      const m = scanner.push(chunk);
      if (m) {
        clearTimeout(silenceTimer);
        marker = { m, at: Date.now() };
        markerResolve();
      }
    }
  });
  const unevent = o.machine.onEvent((e) => {
    if (e.type === 'panic' || e.type === 'crashloaded') stopResolve({ kind: 'panic', event: e });
    else if (e.type === 'reset' && e.guest && (printed || (os === 'windows' && e.at - o.startedAt > RESET_TAIL_MS))) stopResolve({ kind: 'reset', event: e });
    else if (e.type === 'shutdown' && e.guest) stopResolve({ kind: 'shutdown', event: e });
    else if (e.type === 'exit') stopResolve({ kind: 'exit', event: e });
  });

  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let probeError: string | undefined;
  o.markerProbe?.(ac.signal).then(
    (m) => {
      if (marker) return;
      clearTimeout(silenceTimer);
      marker = { m, at: Date.now() };
      markerResolve();
    },
    (e: unknown) => (probeError = e instanceof Error ? e.message : String(e)),
  );
  // What a boot that never got ready waited for.
  const awaited = o.markerProbe ? 'SSH did not answer from a new boot' : 'no ready marker on the console';
  const deadline = o.startedAt + o.timeoutMs;
  const timer = sleep(Math.max(0, deadline - Date.now()), 'timeout' as const, { signal: ac.signal }).catch(() => 'aborted' as const);

  const finishCrash = async (stop: Stop | undefined): Promise<CrashRecord | undefined> => {
    // pvpanic pauses a Linux guest before its console is flushed: let it finish, then stop it.
    if (stop?.kind === 'panic' && stop.event?.type === 'panic' && os === 'linux' && o.machine.running) {
      await o.machine.finishPanic?.(PANIC_PATH_MS).catch(() => false);
    }
    await sleep(FLUSH_MS);
    pushAll(records, detector.end());
    if (records.length > 0) return primaryCrash(records);
    if (stop?.kind === 'panic') {
      const e = stop.event as Extract<MachineEvent, { type: 'panic' | 'crashloaded' }> | undefined;
      const fromEvent = e && detector.fromPanicEvent(e);
      if (fromEvent) return fromEvent;
      const title = 'guest panic reported by pvpanic (no crash report on the console)';
      return { os, source: 'pvpanic', class: 'guest-panic', title, signature: signatureOf(title) };
    }
    if (stop?.kind === 'silence') {
      const title = 'boot hang: no console output';
      return { os, source: 'timeout', class: 'console-silence', title, signature: signatureOf(title), excerpt: `nothing on the console for ${(o.silenceMs ?? 0) / 1000}s before the guest was ready` };
    }
    if (stop?.kind === 'reset') {
      const title = 'guest reset before ready (no crash report on the console)';
      return { os, source: 'qmp', class: 'unknown', title, signature: signatureOf(title) };
    }
    return undefined;
  };

  const vmState = (stop: Stop | undefined): BootObservation['vmState'] =>
    // Windows runs on after GUEST_PANICKED (panic=none) to write its dump and reboot itself.
    stop?.kind === 'exit' || !o.machine.running ? 'exited' : stop?.kind === 'panic' && os !== 'windows' ? 'paused' : 'running';

  // Every return below awaits: the finally clause stops reading the console, and what the guest
  // prints after its panic event must still reach the detector.
  try {
    // Phase 1: the ready marker, or the end of this boot.
    const first = await Promise.race([markerSeen.then(() => 'marker' as const), stopped, timer]);
    if (first === 'aborted') return { outcome: 'lab-error', booted: false, error: 'aborted', vmState: vmState(undefined) };
    if (first === 'timeout') {
      const crash = (await finishCrash(undefined)) ?? timeoutRecord(os, awaited, o.timeoutMs / 1000, probeError);
      return { outcome: crash.class === 'boot-timeout' ? 'timeout' : 'crash', booted: false, crash, vmState: vmState(undefined) };
    }
    if (first !== 'marker') return await endedEarly(first);

    // Phase 2: SSH and health, still racing a crash and the deadline (moved by the grace).
    const phase2Timer = o.readyGraceMs
      ? sleep(Math.max(0, deadline + o.readyGraceMs - Date.now()), 'timeout' as const, { signal: ac.signal }).catch(() => 'aborted' as const)
      : timer;
    const ready = o.onMarker(marker!.m, ac.signal).then(
      (r) => ({ kind: 'ready' as const, r }),
      (e: unknown) => ({ kind: 'ready-failed' as const, e }),
    );
    const second = await Promise.race([ready, stopped, phase2Timer]);
    if (second === 'aborted') return { outcome: 'lab-error', booted: false, error: 'aborted', vmState: vmState(undefined) };
    if (second === 'timeout') {
      const crash = (await finishCrash(undefined)) ?? timeoutRecord(os, 'ready marker seen, SSH or health did not answer', (o.timeoutMs + (o.readyGraceMs ?? 0)) / 1000);
      return { outcome: crash.class === 'boot-timeout' ? 'timeout' : 'crash', booted: false, marker: marker!.m, markerAt: marker!.at, crash, vmState: vmState(undefined) };
    }
    if (second.kind !== 'ready' && second.kind !== 'ready-failed') return await endedEarly(second);
    if (second.kind === 'ready-failed') {
      const crash = await finishCrash(undefined);
      const msg = second.e instanceof Error ? second.e.message : String(second.e);
      if (crash) return { outcome: 'crash', booted: false, marker: marker!.m, markerAt: marker!.at, crash, vmState: vmState(undefined) };
      const title = 'boot timeout: ready marker seen, SSH did not answer';
      return {
        outcome: 'timeout',
        booted: false,
        marker: marker!.m,
        markerAt: marker!.at,
        error: msg,
        crash: { os, source: 'timeout', class: 'boot-timeout', title, signature: signatureOf(title), excerpt: msg },
        vmState: vmState(undefined),
      };
    }
    const readyAt = Date.now();
    let health = second.r.health;
    const selftest = second.r.selftest;
    const recheck = second.r.recheck;
    const earlier = second.r.earlier?.length ? { earlier: second.r.earlier } : {};

    // Phase 3: settle, or soak a boot with the agent: a crash after ready still belongs to this boot.
    const waitMs = recheck ? Math.max(o.settleMs, o.soakMs ?? 0) : o.settleMs;
    const settle = await Promise.race([sleep(waitMs, 'settled' as const), stopped]);
    if (settle !== 'settled') return { ...(await endedEarly(settle, { readyAt, health, selftest })), ...earlier };
    if (recheck && o.soakMs) {
      const again = await Promise.race([recheckHealth(recheck, ac.signal), stopped]);
      if ('kind' in again) return { ...(await endedEarly(again, { readyAt, health, selftest })), ...earlier };
      if (health?.ok !== false) health = again;
    }
    pushAll(records, detector.end());
    const crash = primaryCrash(records);
    const outcome: BootOutcome = (health && !health.ok) || (selftest && !selftest.ok) ? 'unhealthy' : 'ready';
    return { outcome, booted: true, marker: marker!.m, markerAt: marker!.at, readyAt, health, ...(selftest ? { selftest } : {}), ...earlier, crash, vmState: 'running', phaseMarks: phaseMarks(early), ...(setupAt !== undefined ? { setupAt } : {}) };
  } finally {
    clearTimeout(silenceTimer);
    ac.abort();
    unwatch();
    unevent();
    o.signal?.removeEventListener('abort', onOuterAbort);
  }

  async function recheckHealth(check: NonNullable<ReadyResult['recheck']>, signal: AbortSignal): Promise<{ ok: boolean; output: string }> {
    const timeout = sleep(RECHECK_MS, undefined, { signal }).then(
      () => ({ ok: false, output: `after the soak: the health check did not answer in ${RECHECK_MS / 1000}s` }),
      () => ({ ok: false, output: 'after the soak: aborted' }),
    );
    const h = await Promise.race([check(signal).catch((e: unknown) => ({ ok: false, output: e instanceof Error ? e.message : String(e) })), timeout]);
    return h.ok ? h : { ok: false, output: h.output.startsWith('after the soak') ? h.output : `after the soak: ${h.output}` };
  }

  async function endedEarly(stop: Stop, after?: { readyAt: number; health?: ReadyResult['health']; selftest?: SelftestRecord }): Promise<BootObservation> {
    const crash = await finishCrash(stop);
    const base = { marker: marker?.m, markerAt: marker?.at, readyAt: after?.readyAt, health: after?.health, ...(after?.selftest ? { selftest: after.selftest } : {}) };
    if (stop.kind === 'exit' && !crash) {
      const e = stop.event as Extract<MachineEvent, { type: 'exit' }> | undefined;
      return { ...base, outcome: 'lab-error', booted: false, error: `the VM process exited (code ${e?.code ?? '?'}, signal ${e?.signal ?? 'none'}): ${e?.stderr || 'no message'}`, vmState: 'exited' };
    }
    if (stop.kind === 'shutdown' && !crash) {
      return { ...base, outcome: 'lab-error', booted: false, error: 'the guest powered off during boot', vmState: vmState(stop) };
    }
    return { ...base, outcome: stop.kind === 'silence' ? 'timeout' : 'crash', booted: false, crash, vmState: vmState(stop) };
  }
}
