import { z } from 'zod';
import { isoDateTime } from './iso-time.js';
import { gatePolicySchema } from './policy-schema.js';

/**
 * bootgate.gate/v1: results/<run-id>/gate.json, the release gate's decision on one run under
 * one policy. Written by `bootgate run` when a run ends and by `bootgate gate` (re-evaluation,
 * no booting); the same run and policy give the same verdict. Add optional fields freely;
 * renaming or removing one is a new schema version. schemas/gate.schema.json is generated from this.
 */
/** One vocabulary with run.json: error is the lab's failure (inconclusive, exit 3). */
export const gateVerdictSchema = z.enum(['pass', 'fail', 'error']);
export type GateVerdict = z.infer<typeof gateVerdictSchema>;

export const gateRuleCellSchema = z.object({
  /** The cell id, as in run.json cells[].id. */
  id: z.string().describe('The cell id, as in run.json cells[].id.'),
  /** This cell's own value for the rule, when it has one. */
  actual: z.union([z.number(), z.string()]).optional().describe('This cell\'s own value for the rule, when it has one.'),
  /** One line: what this cell did against the rule. */
  reason: z.string().describe('One line: what this cell did against the rule.'),
});

export const gateRuleSchema = z.object({
  /** Stable rule name: complete, lab, bootLoop, bootSuccess, maxCrashes, agentHealth, maxBootOverheadPct, maxWorkloadOverheadPct, minCycles, allow. */
  rule: z.string().describe('Stable rule name: complete, lab, bootLoop, bootSuccess, maxCrashes, agentHealth, maxBootOverheadPct, maxWorkloadOverheadPct, minCycles, allow.'),
  /** The policy's value for the rule. */
  threshold: z.union([z.number(), z.string()]).optional().describe('The policy\'s value for the rule.'),
  /** The worst value over the judged cells (lowest boot success, most crashes, highest overhead, fewest cycles). */
  actual: z.union([z.number(), z.string()]).optional().describe('The worst value over the judged cells (lowest boot success, most crashes, highest overhead, fewest cycles).'),
  /** fail: the agent is at fault; error: the lab could not answer (inconclusive); skipped: not measurable (yet). */
  outcome: z.enum(['pass', 'fail', 'skipped', 'error']).describe('fail: the agent is at fault; error: the lab could not answer (inconclusive); skipped: not measurable (yet).'),
  /** One line. */
  reason: z.string().describe('One line.'),
  /** The cells behind a failed (or error) rule; for `allow`, the cells whose crashes it accepted; empty otherwise. */
  cells: z.array(gateRuleCellSchema).describe('The cells behind a failed (or error) rule; for `allow`, the cells whose crashes it accepted; empty otherwise.'),
});
export type GateRule = z.infer<typeof gateRuleSchema>;

export const gateCellSchema = z.object({
  id: z.string(),
  image: z.string(),
  build: z.string(),
  content: z.string(),
  /** The cell's verdict under this policy: error means the lab failed (inconclusive). */
  verdict: z.enum(['pass', 'fail', 'error']).describe('The cell\'s verdict under this policy: error means the lab failed (inconclusive).'),
  reason: z.string(),
  /** Agent boots whose crash an allow entry accepted. */
  allowedCrashes: z.number().int().describe('Agent boots whose crash an allow entry accepted.'),
});

export const gateAllowSchema = z.object({
  /** `signature:<hex>` or `title:<text>`. */
  match: z.string().describe('`signature:<hex>` or `title:<text>`.'),
  reason: z.string(),
  expires: z.string(),
  /** True when the evaluation day is after `expires`: the entry allowed nothing. */
  expired: z.boolean().describe('True when the evaluation day is after `expires`: the entry allowed nothing.'),
  /** Agent boots whose crash this entry matched (allowed, or would have had it not expired). */
  matched: z.number().int().describe('Agent boots whose crash this entry matched (allowed, or would have had it not expired).'),
});

export const gateSchema = z.object({
  schema: z.literal('bootgate.gate/v1'),
  /** pass: exit 0; fail: exit 1 (the agent is at fault); error: exit 3 (inconclusive: the lab failed, or too little evidence). */
  verdict: gateVerdictSchema.describe('pass: exit 0; fail: exit 1 (the agent is at fault); error: exit 3 (inconclusive: the lab failed, or too little evidence).'),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
  /** One line per rule that did not pass (fail first, then error) and per expired allow entry that matched a crash; on a pass, first a line saying so. */
  reasons: z.array(z.string()).describe('One line per rule that did not pass (fail first, then error) and per expired allow entry that matched a crash; on a pass, first a line saying so.'),
  run: z.object({
    id: z.string(),
    suite: z.string(),
    status: z.enum(['running', 'finished', 'interrupted']),
    startedAt: isoDateTime(),
    endedAt: isoDateTime().optional(),
  }),
  /** When this evaluation was made (allow entries expire by this day, UTC). */
  evaluatedAt: isoDateTime().describe('When this evaluation was made (allow entries expire by this day, UTC).'),
  policy: z.object({
    /** `run.json` (the suite's gate, stored in the run) or the policy file's path. */
    source: z.string().describe('`run.json` (the suite\'s gate, stored in the run) or the policy file\'s path.'),
    value: gatePolicySchema,
  }),
  rules: z.array(gateRuleSchema),
  cells: z.array(gateCellSchema),
  allow: z.array(gateAllowSchema),
});
export type GateResult = z.infer<typeof gateSchema>;
