import { z } from 'zod';

/**
 * The release gate's policy: what a suite's `gate:` and a policy file hold, and what run.json and
 * gate.json record as the policy they were judged under. It lives with the result formats (the
 * lowest floor that records it), so the judge, the store and the suite loader share one schema.
 */

/** YYYY-MM-DD, a real calendar day. */
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use a date as YYYY-MM-DD (quote it in YAML if in doubt)')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');

/**
 * A known crash that the gate accepts (an expected failure): matched by signature (the full
 * sha256, or a prefix of at least 12 hex digits) or by its exact title. It allows until the end
 * of its `expires` day (UTC); after that it allows nothing and the gate says so.
 */
export const allowEntrySchema = z
  .object({
    signature: z.string().regex(/^[0-9a-f]{12,64}$/, 'a crash signature is 12 to 64 lower-case hex digits (a prefix of the sha256)').optional(),
    title: z.string().min(1).optional(),
    reason: z.string().min(1, 'say why this crash is allowed'),
    expires: isoDay,
  })
  .strict()
  .refine((e) => (e.signature === undefined) !== (e.title === undefined), 'give either signature or title, not both and not neither');

export const gatePolicySchema = z
  .object({
    /** Minimum share of agent boots that must succeed, per cell (0..1). */
    bootSuccess: z.number().min(0).max(1).default(1),
    /** Maximum crashes after install, per cell (allowed crashes do not count). */
    maxCrashes: z.number().int().min(0).default(0),
    /** Maximum median guest boot time over the baseline's, in percent, per cell. */
    maxBootOverheadPct: z.number().min(0).optional(),
    /** Maximum workload slowdown in percent: declared now, evaluated as skipped until workloads are measured. */
    maxWorkloadOverheadPct: z.number().min(0).optional(),
    /** Overhead rules judge the upper end of the 95% interval (strict, the default) or the median. */
    overheadBound: z.enum(['upper', 'median']).default('upper'),
    /** Fewer agent cycles than this in a cell make it inconclusive instead of pass. */
    minCycles: z.number().int().min(1).default(1),
    /** Known crashes the gate accepts until they expire. */
    allow: z.array(allowEntrySchema).optional(),
  })
  .strict();

export type GatePolicy = z.infer<typeof gatePolicySchema>;
export type AllowEntry = z.infer<typeof allowEntrySchema>;
