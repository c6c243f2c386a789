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
    signature: z
      .string()
      .regex(/^[0-9a-f]{12,64}$/, 'a crash signature is 12 to 64 lower-case hex digits (a prefix of the sha256)')
      .optional()
      .describe('The crash\'s signature as bootgate records it (sha256 of its normalized title), or a prefix of at least 12 hex digits. Give signature or title.'),
    title: z.string().min(1).optional().describe('The crash\'s exact title, e.g. "WARNING in ipe_init". Give signature or title.'),
    reason: z.string().min(1, 'say why this crash is allowed').describe('Why this crash is allowed (a ticket, a known upstream bug): shown in gate.json and reports.'),
    expires: isoDay.describe('The last day this entry allows the crash, as YYYY-MM-DD (UTC); after it, the crash counts again and the gate says so.'),
  })
  .strict()
  .refine((e) => (e.signature === undefined) !== (e.title === undefined), 'give either signature or title, not both and not neither');

export const gatePolicySchema = z
  .object({
    bootSuccess: z.number().min(0).max(1).default(1).describe('The least share of agent boots that must succeed, per cell: 0 to 1 (1.0: every boot). Default 1.'),
    maxCrashes: z.number().int().min(0).default(0).describe('The most crashes after install, per cell; allowed crashes do not count. Default 0.'),
    maxBootOverheadPct: z.number().min(0).optional().describe('The most the agent may add to the median boot time over the baseline\'s, in percent, per cell. No limit when absent.'),
    maxWorkloadOverheadPct: z.number().min(0).optional().describe('The most the agent may slow a workload, in percent, per cell (needs workloads:). No limit when absent.'),
    overheadBound: z.enum(['upper', 'median']).default('upper').describe('What the overhead limits judge: upper (the upper end of the 95% interval: strict) or median. Default upper.'),
    minCycles: z.number().int().min(1).default(1).describe('Fewer agent boots than this in a cell make it inconclusive (error) instead of pass. Default 1.'),
    allow: z.array(allowEntrySchema).optional().describe('Known crashes the gate accepts, each until its expires day: { signature or title, reason, expires }.'),
  })
  .strict();

export type GatePolicy = z.infer<typeof gatePolicySchema>;
export type AllowEntry = z.infer<typeof allowEntrySchema>;
