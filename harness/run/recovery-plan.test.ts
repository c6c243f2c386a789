import { describe, expect, it } from 'vitest';
import { KmodAgent } from '../agents/linux-kmod/kmod-agent.js';
import { RESCUE_ARGS, RecoveryPlanError, recoveryPlan } from './recovery-plan.js';

const kmod = (o: { module?: string; safeModeParam?: string } = {}) => new KmodAgent({ name: 'sensor', cacheDir: '/nonexistent', ...o });
const initramfs = { name: 'debian-6.1-generic', userland: 'initramfs' };
const disk = { name: 'debian-6.1-generic-systemd', userland: 'disk' };

describe('recovery plans', () => {
  it('boots without a kernel module by module_blacklist=, and rolls its content back in that boot', () => {
    expect(recoveryPlan('module-blacklist', kmod(), initramfs)).toEqual({ editedArgs: ['module_blacklist=sensor'], agentInEdited: false, reach: 'ssh', normalBoot: false });
    expect(recoveryPlan('content-rollback', kmod({ module: 'my-sensor' }), initramfs)).toEqual({ editedArgs: ['module_blacklist=my_sensor'], agentInEdited: false, reach: 'ssh', fix: 'rollback-content', normalBoot: true });
  });

  it('boots the agent in its own safe mode with <module>.<param>=<value>, the agent healthy, then rolls the content back', () => {
    expect(recoveryPlan('agent-safe-mode', kmod({ safeModeParam: 'safe_mode=1' }), initramfs)).toEqual({ editedArgs: ['sensor.safe_mode=1'], agentInEdited: true, reach: 'ssh', fix: 'rollback-content', normalBoot: true });
    // The kernel's name of a module has _ for -, and modprobe matches the command line by it.
    expect(recoveryPlan('agent-safe-mode', kmod({ module: 'my-sensor', safeModeParam: 'content=' }), initramfs).editedArgs).toEqual(['my_sensor.content=']);
  });

  it('refuses a method the agent gives no way to carry out', () => {
    expect(() => recoveryPlan('agent-safe-mode', kmod(), initramfs)).toThrow(new RecoveryPlanError('agent kind linux-kmod has no way to boot in its safe mode'));
    expect(() => recoveryPlan('module-blacklist', { kind: 'windows-driver' }, initramfs)).toThrow(/agent kind windows-driver has no way to boot without it/);
    // Its steps exist (agents/windows-driver/safe-mode.ts), its drill after a real boot loop does not.
    expect(() => recoveryPlan('windows-safe-mode', { kind: 'windows-driver' }, { name: 'win11', userland: undefined })).toThrow(/windows-safe-mode has no drill after a real boot loop yet/);
  });

  it('removes the agent from a rescue shell on the console of a full-disk image, and only there', () => {
    expect(RESCUE_ARGS).toEqual(['init=/bin/sh']);
    expect(recoveryPlan('rescue-boot', kmod(), disk)).toEqual({
      editedArgs: ['init=/bin/sh'],
      agentInEdited: false,
      reach: 'console',
      fix: 'remove-agent',
      command: 'rm -rf /etc/modules-load.d/sensor.conf /etc/modprobe.d/sensor.conf /lib/modules/*/extra/sensor',
      normalBoot: true,
    });
    expect(() => recoveryPlan('rescue-boot', kmod(), initramfs)).toThrow('rescue-boot needs a full-disk image (userland: disk); debian-6.1-generic boots the initramfs userland');
    expect(() => recoveryPlan('rescue-boot', { kind: 'linux-ebpf' }, disk)).toThrow('agent kind linux-ebpf has no way to be removed in a rescue shell');
  });
});
