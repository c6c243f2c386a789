import { z } from 'zod';
import { loadYaml } from '../util/yaml.js';
import { gatePolicySchema, type GatePolicy } from '../results/policy-schema.js';

/**
 * A gate policy in a file of its own (`bootgate gate RUN --policy FILE`): the same fields as a
 * suite's `gate:`, at the top level, plus an optional description.
 *
 * ```yaml
 * description: release gate for sensor 2.x
 * bootSuccess: 1.0
 * maxCrashes: 0
 * minCycles: 3
 * maxBootOverheadPct: 10
 * allow:
 *   - { title: "WARNING in ipe_init", reason: "known IPE warning on 6.12, JIRA-123", expires: 2026-12-31 }
 * ```
 */
export const policyFileSchema = z
  .object({
    schema: z.literal('bootgate.policy/v1').optional().describe('The format of this file: bootgate.policy/v1.'),
    description: z.string().optional().describe('What this policy is for, in words, for people who read it.'),
    ...gatePolicySchema.shape,
  })
  .strict();
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** The policy alone, without the file's own fields. */
export function policyOf(f: PolicyFile): GatePolicy {
  const { schema: _s, description: _d, ...policy } = f;
  return gatePolicySchema.parse(policy);
}

/** Load and validate a policy file: problems are ConfigErrors naming file, line and field (exit 2). */
export async function loadPolicyFile(file: string): Promise<GatePolicy> {
  const y = await loadYaml(file, policyFileSchema);
  return policyOf(y.value);
}
