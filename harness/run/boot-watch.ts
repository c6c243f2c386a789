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
  /** The VM is paused at a panic (needs a host reset) or gone (needs a cold boot). */
  vmState: 'running' | 'paused' | 'exited';
  /** `bootgate-phase` marks the guest printed before ready (name -> kernel uptime ms). */
  phaseMarks?: Map<string, number>;
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
  /** No console output for this long before the ready marker: a hang of its own class. */
  silenceMs?: number;
  /** Called once the guest printed its ready marker: connect, check the boot, run health. */
  onMarker: (m: ReadyMarker, signal: AbortSignal) => Promise<ReadyResult>;
  signal?: AbortSignal;
}

/** After a panic event, the console bytes already sent may still be in the pipe. */
const FLUSH_MS = 250;

/** Classes that do not stop a kernel by themselves: a fatal report after one is the boot's crash. */
const NON_FATAL = new Set(['warning', 'lockdep', 'memory-leak', 'ubsan', 'kfence', 'kasan', 'kmsan']);

/** The crash a boot is remembered by: the first fatal-looking report, else the first report. */
export function primaryCrash(records: CrashRecord[]): CrashRecord | undefined {
  return records.find((r) => !NON_FATAL.has(r.class)) ?? records[0];
}

type Stop = { kind: 'panic' | 'reset' | 'exit' | 'shutdown' | 'silence'; event?: MachineEvent };

function timeoutRecord(os: CrashRecord['os'], what: string, seconds: number): CrashRecord {
  const title = `boot timeout: ${what}`;
  return { os, source: 'timeout', class: 'boot-timeout', title, signature: signatureOf(title), excerpt: `no progress within ${seconds}s` };
}

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
    else if (e.type === 'reset' && e.guest && printed) stopResolve({ kind: 'reset', event: e });
    else if (e.type === 'shutdown' && e.guest) stopResolve({ kind: 'shutdown', event: e });
    else if (e.type === 'exit') stopResolve({ kind: 'exit', event: e });
  });

  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const deadline = o.startedAt + o.timeoutMs;
  const timer = sleep(Math.max(0, deadline - Date.now()), 'timeout' as const, { signal: ac.signal }).catch(() => 'aborted' as const);

  const finishCrash = async (stop: Stop | undefined): Promise<CrashRecord | undefined> => {
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
    stop?.kind === 'exit' || !o.machine.running ? 'exited' : stop?.kind === 'panic' ? 'paused' : 'running';

  try {
    // Phase 1: the ready marker, or the end of this boot.
    const first = await Promise.race([markerSeen.then(() => 'marker' as const), stopped, timer]);
    if (first === 'aborted') return { outcome: 'lab-error', booted: false, error: 'aborted', vmState: vmState(undefined) };
    if (first === 'timeout') {
      const crash = (await finishCrash(undefined)) ?? timeoutRecord(os, 'no ready marker on the console', o.timeoutMs / 1000);
      return { outcome: crash.class === 'boot-timeout' ? 'timeout' : 'crash', booted: false, crash, vmState: vmState(undefined) };
    }
    if (first !== 'marker') return endedEarly(first);

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
    if (second.kind !== 'ready' && second.kind !== 'ready-failed') return endedEarly(second);
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
    const health = second.r.health;
    const selftest = second.r.selftest;

    // Phase 3: settle: a crash right after ready still belongs to this boot.
    const settle = await Promise.race([sleep(o.settleMs, 'settled' as const), stopped]);
    if (settle !== 'settled') return endedEarly(settle, { readyAt, health, selftest });
    pushAll(records, detector.end());
    const crash = primaryCrash(records);
    const outcome: BootOutcome = (health && !health.ok) || (selftest && !selftest.ok) ? 'unhealthy' : 'ready';
    return { outcome, booted: true, marker: marker!.m, markerAt: marker!.at, readyAt, health, ...(selftest ? { selftest } : {}), crash, vmState: 'running', phaseMarks: phaseMarks(early) };
  } finally {
    clearTimeout(silenceTimer);
    ac.abort();
    unwatch();
    unevent();
    o.signal?.removeEventListener('abort', onOuterAbort);
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
