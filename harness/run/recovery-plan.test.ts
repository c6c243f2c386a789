import { describe, expect, it } from 'vitest';
import { KmodAgent } from '../agents/linux-kmod/kmod-agent.js';
import { RecoveryPlanError, recoveryPlan } from './recovery-plan.js';

const kmod = (o: { module?: string; safeModeParam?: string } = {}) => new KmodAgent({ name: 'sensor', cacheDir: '/nonexistent', ...o });

describe('recovery plans', () => {
  it('boots without a kernel module by module_blacklist=, and rolls its content back in that boot', () => {
    expect(recoveryPlan('module-blacklist', kmod())).toEqual({ editedArgs: ['module_blacklist=sensor'], agentInEdited: false, normalBoot: false });
    expect(recoveryPlan('content-rollback', kmod({ module: 'my-sensor' }))).toEqual({ editedArgs: ['module_blacklist=my_sensor'], agentInEdited: false, fix: 'rollback-content', normalBoot: true });
  });

  it('boots the agent in its own safe mode with <module>.<param>=<value>, the agent healthy, then rolls the content back', () => {
    expect(recoveryPlan('agent-safe-mode', kmod({ safeModeParam: 'safe_mode=1' }))).toEqual({ editedArgs: ['sensor.safe_mode=1'], agentInEdited: true, fix: 'rollback-content', normalBoot: true });
    // The kernel's name of a module has _ for -, and modprobe matches the command line by it.
    expect(recoveryPlan('agent-safe-mode', kmod({ module: 'my-sensor', safeModeParam: 'content=' })).editedArgs).toEqual(['my_sensor.content=']);
  });

  it('refuses a method the agent gives no way to carry out', () => {
    expect(() => recoveryPlan('agent-safe-mode', kmod())).toThrow(new RecoveryPlanError('agent kind linux-kmod has no way to boot in its safe mode'));
    expect(() => recoveryPlan('module-blacklist', { kind: 'windows-driver' })).toThrow(/agent kind windows-driver has no way to boot without it/);
  });
});
