import { z } from 'zod';

/** Test points of one self-test kept per boot; past this they are counted in `dropped`. */
export const MAX_SELFTEST_POINTS = 1000;

/** Problems listed per self-test: the first ones, then how many more. */
export const MAX_SELFTEST_PROBLEMS = 20;

export const selftestPointSchema = z.object({
  /** The number it was printed with (within its subtest). */
  number: z.number().int(),
  ok: z.boolean(),
  /** The point's description; in a subtest, the subtests' names first, joined by ` > `. At most 500 characters. */
  description: z.string(),
  /** 1 and more inside subtests; absent at the top level. */
  depth: z.number().int().optional(),
  directive: z.enum(['skip', 'todo']).optional(),
  /** The directive's reason. */
  reason: z.string().optional(),
  /** A failing point's message from its YAML diagnostics (`message`, or node:test's `error`), at most 500 characters. */
  message: z.string().optional(),
});
export type SelftestPoint = z.infer<typeof selftestPointSchema>;

/**
 * What an agent's self-test (the suite's `selftest:` command, run in the guest after the health
 * check) printed in one boot, read as TAP. `ok` false makes the boot unhealthy, as a failed
 * health check does.
 */
export const selftestSchema = z
  .object({
    /** Every point ok (or TODO/SKIP), the plan printed and met, no bail out, exit 0 within the timeout. */
    ok: z.boolean(),
    /** The command's exit status; null when it was killed (timeout) or died of a signal. */
    exitCode: z.number().int().nullable(),
    signal: z.string().optional(),
    timedOut: z.boolean().optional(),
    ms: z.number(),
    /** The top-level plan as printed; absent when none was. */
    plan: z.object({ start: z.number().int(), end: z.number().int(), comment: z.string().optional() }).optional(),
    /** Top-level points: all, and by kind (pass and fail are points without a directive). */
    summary: z.object({ count: z.number().int(), pass: z.number().int(), fail: z.number().int(), todo: z.number().int(), skip: z.number().int() }),
    /** `Bail out!` was printed, with its reason ('' for none). */
    bailout: z.string().optional(),
    /** Every point (subtests' points before their own), at most MAX_SELFTEST_POINTS. */
    points: z.array(selftestPointSchema),
    /** Points past MAX_SELFTEST_POINTS: counted, not kept. */
    dropped: z.number().int(),
    /** Why it is not ok, one line each (failing points named), at most MAX_SELFTEST_PROBLEMS and a last line saying how many more. */
    problems: z.array(z.string()),
    /** The end of what the command wrote to stderr (at most 2000 characters), when it is not ok. */
    stderr: z.string().optional(),
  })
  .describe('An agent self-test run in the guest after the health check, read as TAP: its points, plan, bail out and exit; not ok makes the boot unhealthy.');
export type SelftestRecord = z.infer<typeof selftestSchema>;

/** One line for a verdict or a view: `self-test: <first problem>` and how many more. */
export function selftestLine(s: SelftestRecord): string {
  if (s.ok) return `self-test ok: ${s.summary.pass}/${s.summary.count} points passed${s.summary.todo ? `, ${s.summary.todo} todo` : ''}${s.summary.skip ? `, ${s.summary.skip} skipped` : ''}`;
  const more = s.problems.length > 1 ? ` (and ${s.problems.length - 1} more)` : '';
  return `self-test failed: ${s.problems[0] ?? 'not ok'}${more}`;
}
