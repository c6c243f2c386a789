import type { AgentDriver } from '../agents/agent.js';
import type { RecoveryMethod } from '../results/recovery-record.js';

/**
 * What one recovery asks of the machine after its crash boot, as an operator would do it: one boot
 * with the boot entry edited, a fix in that boot, and then a normal boot when the fix needs one.
 */
export interface RecoveryPlan {
  /** Kernel arguments of the edited boot (one boot: a boot-menu edit is not saved). */
  editedArgs: string[];
  /** The agent must pass its health check in the edited boot (it runs in its safe mode). */
  agentInEdited: boolean;
  /** What the operator does in the edited boot: roll the content back, or nothing. */
  fix?: 'rollback-content';
  /** A normal boot ends the drill, the agent healthy; else the edited boot ends it. */
  normalBoot: boolean;
}

export class RecoveryPlanError extends Error {
  readonly code = 'RECOVERY_PLAN';
}

/** The plan of a method for an agent; throws when the agent's driver gives no way to carry it out. */
export function recoveryPlan(method: RecoveryMethod, agent: Pick<AgentDriver, 'kind' | 'bootWithoutAgentArgs' | 'safeModeArgs'>): RecoveryPlan {
  const without = agent.bootWithoutAgentArgs?.() ?? [];
  const need = (args: string[], what: string) => {
    if (args.length === 0) throw new RecoveryPlanError(`agent kind ${agent.kind} has no way to ${what}`);
    return args;
  };
  switch (method) {
    case 'module-blacklist':
      return { editedArgs: need(without, 'boot without it'), agentInEdited: false, normalBoot: false };
    case 'content-rollback':
      return { editedArgs: need(without, 'boot without it'), agentInEdited: false, fix: 'rollback-content', normalBoot: true };
    case 'agent-safe-mode':
      return { editedArgs: need(agent.safeModeArgs?.() ?? [], 'boot in its safe mode'), agentInEdited: true, fix: 'rollback-content', normalBoot: true };
  }
}
