import { Parser, type Result, type TapError } from 'tap-parser';

/**
 * TAP read with tap-parser (the node-tap project's parser): what the in-guest programs print, the
 * workloads and an agent's self-test. Lines that are not TAP (console noise) are passed over;
 * subtests are read to any depth; what is kept is bounded.
 */

export interface TapPoint {
  /** The number it was printed with (within its subtest). */
  number: number;
  ok: boolean;
  /** Its description; in a subtest, the enclosing subtests' names first, joined by ` > `. */
  description: string;
  /** 0 at the top level, one more per enclosing subtest. */
  depth: number;
  directive?: 'skip' | 'todo';
  /** The directive's reason, when it gives one. */
  reason?: string;
  /** The YAML diagnostics block, parsed. */
  diag?: Record<string, unknown>;
}

export interface TapReading {
  /** Test points in the order they ended (a subtest's points before its own), at most maxPoints. */
  points: TapPoint[];
  /** Points past maxPoints: counted, not kept. */
  dropped: number;
  /** A `TAP version N` line was printed. */
  sawVersion: boolean;
  /** The top-level plan as printed; absent when none was. */
  plan?: { start: number; end: number; comment?: string };
  /** `Bail out!` was printed (here or in a subtest), with its reason ('' for none). */
  bailout?: string;
  /** tap-parser's judgement of the whole stream: every point ok (or TODO/SKIP), the plan met, no bail out. */
  ok: boolean;
  /** Where the stream broke the protocol: plan not met, no plan, a number twice, a subtest's own errors. */
  errors: string[];
  /** Top-level points: all of them, and by kind (pass and fail without a directive). */
  summary: { count: number; pass: number; fail: number; todo: number; skip: number };
}

export interface ReadTapOptions {
  /** Points kept; the rest are counted in `dropped`. Default: all. */
  maxPoints?: number;
  /** Characters kept of a description or a reason. Default 500. */
  maxText?: number;
}

/** Protocol errors as tap-parser words them, said plainly. */
function protocolError(e: TapError, plan: TapReading['plan'], count: number): string {
  const what = 'tapError' in e && e.tapError ? e.tapError : '';
  if (what === 'incorrect number of tests' && plan) return `the plan ${plan.start}..${plan.end} announced ${plan.end - plan.start + 1} test point(s), ${count} arrived`;
  if (what === 'no plan') return 'no plan line (1..N) was printed';
  const id = typeof (e as { id?: unknown }).id === 'number' ? ` (point ${(e as { id: number }).id})` : '';
  return `${what || 'protocol error'}${id}`;
}

/**
 * Lines indented deeper than this are passed over: TAP nests a subtest 4 columns deeper, and
 * tap-parser makes one parser per level, recursively (5000 levels take it 30 s, then overflow the
 * stack). 96 columns hold 20 levels of subtests and their YAML.
 */
export const MAX_TAP_INDENT = 96;
const TOO_DEEP = new RegExp(`^[ \\t]{${MAX_TAP_INDENT + 1},}.*$`, 'gm');

/** Reads a whole TAP text. Never throws: a stream that is not TAP reads as no points and no plan. */
export function readTap(input: string, o: ReadTapOptions = {}): TapReading {
  const text = input.replace(TOO_DEEP, '');
  const maxPoints = o.maxPoints ?? Infinity;
  const maxText = o.maxText ?? 500;
  const cut = (s: string) => (s.length > maxText ? `${s.slice(0, maxText - 1)}…` : s);
  const points: TapPoint[] = [];
  const errors: string[] = [];
  let dropped = 0;
  const summary = { count: 0, pass: 0, fail: 0, todo: 0, skip: 0 };
  let sawVersion = false;
  let ending = false;

  const watch = (p: Parser, depth: number) => {
    p.on('assert', (r: Result) => {
      if (depth === 0) {
        summary.count++;
        summary[r.todo !== false ? 'todo' : r.skip !== false ? 'skip' : r.ok ? 'pass' : 'fail']++;
      }
      if (points.length >= maxPoints) {
        dropped++;
        return;
      }
      const pt: TapPoint = { number: r.id, ok: r.ok, description: cut(r.fullname || r.name || ''), depth };
      const dir = r.todo !== false ? 'todo' : r.skip !== false ? 'skip' : undefined;
      if (dir) {
        pt.directive = dir;
        const why = dir === 'todo' ? r.todo : r.skip;
        if (typeof why === 'string' && why) pt.reason = cut(why);
      }
      if (r.diag && typeof r.diag === 'object' && !Array.isArray(r.diag)) pt.diag = r.diag as Record<string, unknown>;
      points.push(pt);
    });
    p.on('child', (c: Parser) => {
      watch(c, depth + 1);
      c.on('complete', (res) => {
        for (const f of res.failures) if ('tapError' in f && f.tapError) errors.push(`subtest ${cut(c.fullname || c.name)}: ${protocolError(f, c.planStart >= 0 ? { start: c.planStart, end: c.planEnd } : undefined, res.count)}`);
      });
    });
  };

  const root = new Parser();
  watch(root, 0);
  // The parser makes up a version line and an empty plan for a stream without them: only the
  // ones printed count, and the made-up ones arrive during end().
  root.on('version', () => {
    if (!ending) sawVersion = true;
  });
  root.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  ending = true;
  let complete: NonNullable<Parser['results']> | undefined;
  root.on('complete', (r) => (complete = r));
  root.end();
  const res = complete ?? root.results!;

  const printedPlan = !root.syntheticPlan && res.plan.start !== null && res.plan.end !== null;
  const plan = printedPlan ? { start: res.plan.start!, end: res.plan.end!, ...(res.plan.comment ? { comment: cut(res.plan.comment) } : {}) } : undefined;
  for (const f of res.failures) if ('tapError' in f && f.tapError) errors.unshift(protocolError(f, plan, res.count));
  const reading: TapReading = {
    points,
    dropped,
    sawVersion,
    ok: res.ok,
    errors,
    summary,
  };
  if (plan) reading.plan = plan;
  if (res.bailout !== false) reading.bailout = cut(res.bailout === true ? '' : String(res.bailout));
  return reading;
}
