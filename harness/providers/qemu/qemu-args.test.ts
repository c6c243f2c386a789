import { describe, expect, it } from 'vitest';
import { qemuArgs } from './qemu-args.js';

const spec = { name: 'c1', workDir: '/w', disk: '/w/disk.qcow2', boot: { kind: 'direct-kernel' as const, kernel: '/img/vmlinuz', initrd: '/img/initrd', args: ['oops=panic'] }, memoryMiB: 512, cpus: 1, guestSshPort: 22 };

const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

describe('qemuArgs', () => {
  it('uses TCG with -cpu max when KVM is not usable', () => {
    const a = qemuArgs({ spec, accel: 'tcg', qmpSocket: '/w/q.sock', sshPort: 40000 });
    expect(after(a, '-accel')).toEqual(['tcg,tb-size=128']);
    expect(after(a, '-cpu')).toEqual(['max']);
    expect(after(a, '-accel').concat(after(a, '-cpu'))).not.toContain('host');
  });
  it('uses KVM with the host CPU when it works', () => {
    const a = qemuArgs({ spec, accel: 'kvm', qmpSocket: '/w/q.sock', sshPort: 40000 });
    expect(after(a, '-cpu')).toEqual(['host']);
  });
  it('restricts user networking and forwards SSH on loopback only', () => {
    const a = qemuArgs({ spec, accel: 'tcg', qmpSocket: '/w/q.sock', sshPort: 40123 });
    const net = after(a, '-netdev')[0]!;
    expect(net).toContain('restrict=on');
    expect(net).toContain('hostfwd=tcp:127.0.0.1:40123-:22');
  });
  it('boots the overlay, never the base, and pauses on a guest panic with pvpanic', () => {
    const a = qemuArgs({ spec, accel: 'tcg', qmpSocket: '/w/q.sock', sshPort: 1 });
    expect(after(a, '-drive')[0]).toMatch(/^file=\/w\/disk\.qcow2,/);
    expect(after(a, '-device')).toContain('pvpanic');
    expect(after(a, '-action')).toEqual(['panic=pause']);
    expect(after(a, '-qmp')).toEqual(['unix:/w/q.sock,server=on,wait=off']);
    expect(after(a, '-append')[0]).toBe('console=ttyS0,115200 oops=panic');
  });
  it('counts guest time in instructions under TCG when asked, never under KVM', () => {
    const ic = { ...spec, instructionClock: true };
    expect(after(qemuArgs({ spec: ic, accel: 'tcg', qmpSocket: '/q', sshPort: 1 }), '-icount')).toEqual(['shift=3,sleep=off']);
    expect(qemuArgs({ spec: ic, accel: 'kvm', qmpSocket: '/q', sshPort: 1 })).not.toContain('-icount');
    expect(qemuArgs({ spec, accel: 'tcg', qmpSocket: '/q', sshPort: 1 })).not.toContain('-icount');
  });
  it('adds a generation ID device and -incoming from the saved state, quoted for sh, only when asked', () => {
    const plain = qemuArgs({ spec, accel: 'tcg', qmpSocket: '/q', sshPort: 1 });
    expect(plain).not.toContain('-incoming');
    expect(after(plain, '-device')).not.toContain('vmgenid,guid=auto');
    const r = qemuArgs({ spec: { ...spec, generationId: true, restoreFrom: "/w/it's state.bin" }, accel: 'tcg', qmpSocket: '/q', sshPort: 1 });
    expect(after(r, '-device')).toContain('vmgenid,guid=auto');
    expect(after(r, '-incoming')).toEqual([`exec:cat '/w/it'\\''s state.bin'`]);
  });
  it('runs an arm64 guest on the virt machine: PL011 console, PCI virtio disk, PCI pvpanic, no x86 devices', () => {
    const a = qemuArgs({ spec: { ...spec, arch: 'arm64', generationId: true }, accel: 'tcg', qmpSocket: '/w/q.sock', sshPort: 40000 });
    expect(after(a, '-machine')).toEqual(['virt,gic-version=max']);
    expect(after(a, '-cpu')).toEqual(['max']);
    expect(after(a, '-append')[0]).toMatch(/^console=ttyAMA0,115200 /);
    expect(after(a, '-drive')[0]).toMatch(/^file=\/w\/disk\.qcow2,if=none,id=d0,/);
    expect(after(a, '-device')).toEqual(['virtio-blk-pci,drive=d0', 'virtio-net-pci,netdev=n0', 'pvpanic-pci']);
    expect(after(a, '-netdev')[0]).toContain('restrict=on');
    // The amd64 line is what it was.
    const x = qemuArgs({ spec, accel: 'tcg', qmpSocket: '/w/q.sock', sshPort: 40000 });
    expect(after(x, '-machine')).toEqual(['q35']);
    expect(after(x, '-append')[0]).toMatch(/^console=ttyS0,115200 /);
  });
  it('takes KVM and the host CPU for an arm64 guest on an arm64 host', () => {
    const a = qemuArgs({ spec: { ...spec, arch: 'arm64' }, accel: 'kvm', qmpSocket: '/w/q.sock', sshPort: 40000 });
    expect(after(a, '-cpu')).toEqual(['host']);
    expect(after(a, '-accel')).toEqual(['kvm']);
  });
});
