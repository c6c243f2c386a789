import { describe, expect, it } from 'vitest';
import type { BuiltImage } from '../images/catalog.js';
import { LabError } from '../util/errors.js';
import type { BootPolicy } from '../config/suite-schema.js';
import { kernelArgProblem } from '../config/kernel-args.js';
import { bootSourceOf, kernelArgsOf, pinnedHostKey, sshUserOf, WATCHDOG_ARGS } from './cell-vm.js';

const image = (os: 'linux' | 'windows', hostKey?: string) => ({ manifest: { name: 'img', os, ...(hostKey ? { hostKey } : {}) } }) as unknown as BuiltImage;

describe('pinnedHostKey', () => {
  it('pins the key of the manifest', () => {
    expect(pinnedHostKey(image('linux', 'ssh-ed25519 AAAA'))).toBe('ssh-ed25519 AAAA');
  });
  it('a Linux image without one is refused before any boot, never connected to with any key', () => {
    expect(() => pinnedHostKey(image('linux'))).toThrow(LabError);
    expect(() => pinnedHostKey(image('linux'))).toThrow(/records no SSH host key to pin: rebuild it/);
  });
  it('a Windows user disk may have none yet (its key is the user own)', () => {
    expect(pinnedHostKey(image('windows'))).toBeUndefined();
  });
});

describe('kernelArgsOf', () => {
  const img = { manifest: { name: 'img', os: 'linux', kernelArgs: ['root=/dev/vda'] } } as unknown as BuiltImage;
  const boot = (kernelArgs?: string[]) => ({ panicOnOops: true, kernelArgs }) as unknown as BootPolicy;
  it('sets the watchdogs short, after the crash capture and before the suite (which may lengthen them)', () => {
    const args = kernelArgsOf(img, boot(['watchdog_thresh=10']), 'ssh-ed25519 KEY lab');
    expect(args).toEqual(['root=/dev/vda', 'loglevel=5', 'panic=-1', 'oops=panic', ...WATCHDOG_ARGS, 'watchdog_thresh=10', 'bootgate.authkey=KEY']);
    expect(WATCHDOG_ARGS).toEqual(['watchdog_thresh=5', 'sysctl.kernel.hung_task_timeout_secs=10', 'sysctl.kernel.hung_task_check_interval_secs=2']);
  });
  it('a suite may not turn the hung-task watchdog off', () => {
    expect(kernelArgProblem('sysctl.kernel.hung_task_timeout_secs=0')).toMatch(/hung-task watchdog/);
    expect(kernelArgProblem('sysctl.kernel.hung_task_timeout_secs=30')).toBeUndefined();
  });
});

describe('a Windows image: how it boots and who logs in', () => {
  const win = (windows: Record<string, unknown>) =>
    ({ manifest: { name: 'win', os: 'windows', files: { disk: { path: 'disk.qcow2' } } }, recipe: { recipe: { os: 'windows', windows } } }) as unknown as BuiltImage;
  it('UEFI with the profile: TPM by version, the devices the installed system has drivers for', () => {
    expect(bootSourceOf(win({ version: 11, secureBoot: false, nic: 'virtio', diskBus: 'virtio', sshUser: 'Administrator' }), [])).toEqual({
      kind: 'uefi',
      profile: 'windows',
      secureBoot: false,
      tpm: true,
      nic: 'virtio',
      diskBus: 'virtio',
    });
  });
  it('the lab key logs in as the profile user, root on Linux', () => {
    expect(sshUserOf(win({ version: 10, sshUser: 'labadmin' }))).toBe('labadmin');
    expect(sshUserOf({ recipe: { recipe: { os: 'linux' } } } as unknown as BuiltImage)).toBe('root');
  });
});
