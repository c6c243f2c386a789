import { describe, expect, it } from 'vitest';
import { containerOptions, containerQemuArgs, QEMU_OVERHEAD_MIB } from './container-spec.js';

const base = { image: 'bootgate/qemu:abc', args: ['-m', '512'], binds: [{ dir: '/tmp/cell', readOnly: false }, { dir: '/cache/img', readOnly: true }], memoryMiB: 512, cpus: 1, hostCpus: 2, labels: { bootgate: '1' } };

describe('containerOptions', () => {
  it('runs QEMU with the given arguments on the host network, stdin open, no TTY, mounts at the same paths', () => {
    const o = containerOptions({ ...base, accel: 'tcg' });
    expect(o.Entrypoint).toEqual(['/usr/bin/qemu-system-x86_64']);
    expect(o.Cmd).toEqual(['-m', '512']);
    expect(o).toMatchObject({ Image: 'bootgate/qemu:abc', OpenStdin: true, StdinOnce: false, Tty: false, Labels: { bootgate: '1' } });
    expect(o.HostConfig?.NetworkMode).toBe('host');
    expect(o.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/tmp/cell', Target: '/tmp/cell', ReadOnly: false },
      { Type: 'bind', Source: '/cache/img', Target: '/cache/img', ReadOnly: true },
    ]);
    expect(o.HostConfig?.PortBindings).toBeUndefined();
  });

  it('passes /dev/kvm only under KVM', () => {
    expect(containerOptions({ ...base, accel: 'tcg' }).HostConfig?.Devices).toEqual([]);
    expect(containerOptions({ ...base, accel: 'kvm' }).HostConfig?.Devices).toEqual([{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }]);
  });

  it('limits memory to the guest plus QEMU overhead (no swap) and CPUs to vCPUs + 1 within the host', () => {
    const o = containerOptions({ ...base, accel: 'tcg', memoryMiB: 1024, cpus: 1, hostCpus: 4 });
    expect(o.HostConfig?.Memory).toBe((1024 + QEMU_OVERHEAD_MIB) * 2 ** 20);
    expect(o.HostConfig?.MemorySwap).toBe(o.HostConfig?.Memory);
    expect(o.HostConfig?.NanoCpus).toBe(2e9);
    // Docker refuses a limit above the host's CPUs.
    expect(containerOptions({ ...base, accel: 'tcg', cpus: 4, hostCpus: 2 }).HostConfig?.NanoCpus).toBe(2e9);
  });
});

describe('containerQemuArgs', () => {
  it('drops the process title, which an orphan scan by title would kill, and keeps everything else', () => {
    const args = ['-name', 'bootgate-r1.c,process=bootgate-r1.c', '-m', '512', '-append', 'process=x'];
    expect(containerQemuArgs(args)).toEqual(['-name', 'bootgate-r1.c', '-m', '512', '-append', 'process=x']);
    expect(containerOptions({ ...base, args, accel: 'tcg' }).Cmd).toEqual(containerQemuArgs(args));
  });
});
