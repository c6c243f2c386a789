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
  /** What the operator does in the edited boot: roll the content back, remove the agent, or nothing. */
  fix?: 'rollback-content' | 'remove-agent';
  /** How the operator reaches the edited boot: over SSH once it is ready, or at the serial console (a rescue shell). */
  reach: 'ssh' | 'console';
  /** The command typed at the console (remove-agent). */
  command?: string;
  /** A normal boot ends the drill (the agent healthy, or absent after remove-agent); else the edited boot ends it. */
  normalBoot: boolean;
}

/**
 * The rescue shell of a full-disk image. Not systemd.unit=rescue.target: that target pulls in
 * sysinit.target and so systemd-modules-load, which loads the agent and crashes again, and its
 * sulogin refuses a locked root (the images' root has no password). init=/bin/sh skips systemd.
 */
export const RESCUE_ARGS = ['init=/bin/sh'];

export class RecoveryPlanError extends Error {
  readonly code = 'RECOVERY_PLAN';
}

/** The plan of a method for an agent; throws when the agent's driver gives no way to carry it out. */
export function recoveryPlan(method: RecoveryMethod, agent: Pick<AgentDriver, 'kind' | 'bootWithoutAgentArgs' | 'safeModeArgs' | 'rescueRemoveCommand'>, image: { name: string; userland?: string }): RecoveryPlan {
  const without = agent.bootWithoutAgentArgs?.() ?? [];
  const need = (args: string[], what: string) => {
    if (args.length === 0) throw new RecoveryPlanError(`agent kind ${agent.kind} has no way to ${what}`);
    return args;
  };
  switch (method) {
    case 'module-blacklist':
      return { editedArgs: need(without, 'boot without it'), agentInEdited: false, reach: 'ssh', normalBoot: false };
    case 'content-rollback':
      return { editedArgs: need(without, 'boot without it'), agentInEdited: false, reach: 'ssh', fix: 'rollback-content', normalBoot: true };
    case 'agent-safe-mode':
      return { editedArgs: need(agent.safeModeArgs?.() ?? [], 'boot in its safe mode'), agentInEdited: true, reach: 'ssh', fix: 'rollback-content', normalBoot: true };
    case 'windows-safe-mode':
      // agents/windows-driver/safe-mode.ts runs it over SSH; reaching a Windows boot loop (WinRE) is not built.
      throw new RecoveryPlanError('windows-safe-mode has no drill after a real boot loop yet (its steps are the driver\'s removeThroughSafeMode)');
    case 'rescue-boot': {
      // The initramfs userland's /init is the image's own script: it takes no init=.
      if (image.userland !== 'disk') throw new RecoveryPlanError(`rescue-boot needs a full-disk image (userland: disk); ${image.name} boots the initramfs userland`);
      const command = agent.rescueRemoveCommand?.();
      if (!command) throw new RecoveryPlanError(`agent kind ${agent.kind} has no way to be removed in a rescue shell`);
      return { editedArgs: RESCUE_ARGS, agentInEdited: false, reach: 'console', fix: 'remove-agent', command, normalBoot: true };
    }
  }
}
