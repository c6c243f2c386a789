import type { GuestOs } from '../guest/guest-os.js';
import type { ExecResult, GuestTransport } from '../guest/transport.js';
import { MAX_SELFTEST_POINTS, MAX_SELFTEST_PROBLEMS, type SelftestPoint, type SelftestRecord } from '../results/selftest-record.js';
import { BootgateError } from '../util/errors.js';
import { readTap, type TapPoint, type TapReading } from './tap.js';

/**
 * An agent's self-test: a command the suite gives (`selftest:`), run in the guest after the
 * health check of every boot with the agent installed, printing TAP. Each test point is recorded;
 * a failing point, a bail out, a missing or unmet plan, a non-zero exit or the timeout makes the
 * boot unhealthy, as a failed health check does.
 */

export interface SelftestSpec {
  command: string;
  timeoutMs: number;
}

/** How the command ended, beside what it printed. */
export interface SelftestExit {
  code: number | null;
  signal?: string;
  timedOut?: boolean;
  ms: number;
  stderr?: string;
  /** Bytes of its output past MAX_SELFTEST_OUTPUT, not read. */
  unreadBytes?: number;
}

/**
 * Output of a self-test read as TAP, at most: tap-parser takes about a second per MiB of hostile
 * TAP, on the event loop every cell shares. A thousand points with diagnostics are some 200 KiB.
 */
export const MAX_SELFTEST_OUTPUT = 1 << 20;

const STDERR_KEPT = 2000;
const MESSAGE_KEPT = 500;

const pointLine = (p: SelftestPoint) => `${p.ok ? 'ok' : 'not ok'} ${p.number} - ${p.description}${p.message ? `: ${p.message}` : ''}`;

function pointOf(t: TapPoint): SelftestPoint {
  const p: SelftestPoint = { number: t.number, ok: t.ok, description: t.description };
  if (t.depth) p.depth = t.depth;
  if (t.directive) p.directive = t.directive;
  if (t.reason !== undefined) p.reason = t.reason;
  // node-tap and most producers say `message`, node:test says `error`.
  const msg = t.diag?.message ?? t.diag?.error;
  if (!t.ok && msg !== undefined && msg !== null) {
    const m = String(msg);
    p.message = m.length > MESSAGE_KEPT ? `${m.slice(0, MESSAGE_KEPT - 1)}…` : m;
  }
  return p;
}

/** The record of one self-test from its TAP and its exit. Pure; at most MAX_SELFTEST_POINTS points are kept. */
export function selftestRecord(tap: TapReading, exit: SelftestExit): SelftestRecord {
  const points = tap.points.slice(0, MAX_SELFTEST_POINTS).map(pointOf);
  const dropped = tap.dropped + Math.max(0, tap.points.length - MAX_SELFTEST_POINTS);
  const problems: string[] = [];
  if (exit.timedOut) problems.push(`did not finish within ${exit.ms >= 1000 ? `${Math.round(exit.ms / 1000)} s` : `${exit.ms} ms`}`);
  else if (exit.code !== 0) problems.push(exit.code === null ? `ended by ${exit.signal ?? 'a signal'} without an exit status` : `exited ${exit.code}`);
  if (exit.unreadBytes) problems.push(`printed more than ${MAX_SELFTEST_OUTPUT >> 20} MiB: ${exit.unreadBytes} bytes past it were not read`);
  if (tap.bailout !== undefined) problems.push(`Bail out!${tap.bailout ? ` ${tap.bailout}` : ''}`);
  if (!tap.plan && tap.summary.count === 0 && tap.bailout === undefined) problems.push('no TAP: no plan and no test point');
  for (const e of tap.errors) problems.push(e);
  // A failing point, here or in a subtest: not ok without TODO or SKIP.
  const failing = points.filter((p) => !p.ok && !p.directive);
  for (const p of failing) problems.push(pointLine(p));
  if (dropped) {
    const fails = tap.summary.fail - failing.filter((p) => !p.depth).length;
    if (fails > 0) problems.push(`${fails} more failing point(s) among the ${dropped} not kept`);
  }
  // tap-parser saw something wrong that has no line of its own above (it is stricter, never laxer).
  if (!tap.ok && problems.length === 0) problems.push('the TAP stream is not ok');
  const ok = problems.length === 0;
  const rec: SelftestRecord = {
    ok,
    exitCode: exit.code,
    ms: exit.ms,
    summary: tap.summary,
    points,
    dropped,
    problems: problems.length > MAX_SELFTEST_PROBLEMS ? [...problems.slice(0, MAX_SELFTEST_PROBLEMS), `and ${problems.length - MAX_SELFTEST_PROBLEMS} more`] : problems,
  };
  if (exit.signal) rec.signal = exit.signal;
  if (exit.timedOut) rec.timedOut = true;
  if (tap.plan) rec.plan = tap.plan;
  if (tap.bailout !== undefined) rec.bailout = tap.bailout;
  const err = exit.stderr?.trim();
  if (!ok && err) rec.stderr = err.length > STDERR_KEPT ? `…${err.slice(-(STDERR_KEPT - 1))}` : err;
  return rec;
}

/** The output so far of a command the transport gave up on (EXEC_TIMEOUT carries it). */
function timedOutOutput(e: unknown): { stdout: string; stderr: string } | undefined {
  if (!(e instanceof BootgateError) || e.code !== 'EXEC_TIMEOUT') return undefined;
  const x = e as BootgateError & { stdout?: unknown; stderr?: unknown };
  return { stdout: typeof x.stdout === 'string' ? x.stdout : '', stderr: typeof x.stderr === 'string' ? x.stderr : '' };
}

/**
 * Run the self-test on a ready guest and record it. Its timeout is a failed self-test (the points
 * printed until then are kept); a lost connection or an abort rejects, as for the health check,
 * so that a crash the self-test provoked is the boot's crash.
 */
export async function runSelftest(t: GuestTransport, guest: GuestOs, spec: SelftestSpec, signal?: AbortSignal): Promise<SelftestRecord> {
  const t0 = Date.now();
  let r: ExecResult;
  let timedOut = false;
  try {
    r = await guest.runCommand(t, spec.command, { timeoutMs: spec.timeoutMs, signal });
  } catch (e) {
    const partial = timedOutOutput(e);
    if (!partial) throw e;
    r = { code: null, ...partial };
    timedOut = true;
  }
  const ms = timedOut ? spec.timeoutMs : Date.now() - t0;
  return selftestOf(r.stdout, { code: r.code, ...(r.signal ? { signal: r.signal } : {}), timedOut, ms, stderr: r.stderr });
}

/** The record of a self-test from what it printed: its first MAX_SELFTEST_OUTPUT bytes read as TAP. */
export function selftestOf(stdout: string, exit: SelftestExit): SelftestRecord {
  let text = stdout;
  let unreadBytes = 0;
  if (Buffer.byteLength(stdout) > MAX_SELFTEST_OUTPUT) {
    const buf = Buffer.from(stdout);
    // Cut at the last line end within the limit: no half line, no half character.
    const end = buf.lastIndexOf(10, MAX_SELFTEST_OUTPUT - 1) + 1;
    text = buf.subarray(0, end).toString('utf8');
    unreadBytes = buf.length - end;
  }
  return selftestRecord(readTap(text, { maxPoints: MAX_SELFTEST_POINTS }), { ...exit, ...(unreadBytes ? { unreadBytes } : {}) });
}
