import { describe, expect, it } from 'vitest';
import { HYPERV_ENLIGHTENMENTS, HYPERV_MINIMAL, OVMF_FILES, ovmfFiles, overlayCreateArgs, qemuOptValue, windowsQemuArgs, type WindowsQemuArgsInput } from './windows-args.js';

const spec = { name: 'w11', workDir: '/w', disk: '/w/disk.qcow2', boot: { kind: 'uefi' as const, profile: 'windows' as const }, memoryMiB: 4096, cpus: 2, guestSshPort: 22 };
const firmware = { code: OVMF_FILES.code, vars: '/w/OVMF_VARS_4M.fd' };
const base: WindowsQemuArgsInput = { spec, accel: 'kvm', qmpSocket: '/w/q.sock', sshPort: 40000, firmware, diskFormat: 'qcow2' };

/** Every value that follows `flag`. */
const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

describe('windowsQemuArgs', () => {
  it('boots q35 through UEFI from two pflash drives: read-only code, the per-VM vars copy', () => {
    const a = windowsQemuArgs(base);
    expect(after(a, '-machine')).toEqual(['q35,hpet=off']);
    const pflash = after(a, '-drive').filter((d) => d.startsWith('if=pflash'));
    expect(pflash).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
      'if=pflash,format=raw,unit=1,file=/w/OVMF_VARS_4M.fd',
    ]);
    expect(a).not.toContain('-kernel');
    expect(a).not.toContain('-bios');
  });

  it('refuses the shared OVMF_VARS template as the VM variable store', () => {
    expect(() => windowsQemuArgs({ ...base, firmware: { code: OVMF_FILES.code, vars: OVMF_FILES.varsTemplate } })).toThrow(/per-VM copy/);
  });

  it('gives Windows the Hyper-V enlightenments with hv-crash under KVM', () => {
    const [cpu] = after(windowsQemuArgs(base), '-cpu');
    expect(cpu!.split(',')).toEqual(['host', ...HYPERV_ENLIGHTENMENTS]);
    for (const f of ['hv-relaxed', 'hv-vapic', 'hv-spinlocks=0x1fff', 'hv-time', 'hv-crash']) expect(cpu!.split(',')).toContain(f);
    // hv-stimer depends on hv-synic and hv-time; hv-synic on hv-vpindex (QEMU refuses otherwise).
    const flags = cpu!.split(',');
    expect(flags.indexOf('hv-vpindex')).toBeGreaterThan(0);
    expect(flags).toContain('hv-synic');
    expect(after(windowsQemuArgs(base), '-global')).toContain('kvm-pit.lost_tick_policy=delay');
  });

  it('takes a smaller set of enlightenments for hosts that refuse some', () => {
    const [cpu] = after(windowsQemuArgs({ ...base, enlightenments: HYPERV_MINIMAL }), '-cpu');
    expect(cpu).toBe('host,hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time,hv-crash');
  });

  it('uses -cpu max without enlightenments under TCG (hv-crash needs KVM)', () => {
    const a = windowsQemuArgs({ ...base, accel: 'tcg' });
    expect(after(a, '-accel')).toEqual(['tcg']);
    expect(after(a, '-cpu')).toEqual(['max']);
    expect(a.join(' ')).not.toMatch(/hv-|kvm-pit/);
  });

  it('gets the event, the dump and the reboot on a bugcheck: panic=none, pvpanic', () => {
    const a = windowsQemuArgs(base);
    expect(after(a, '-action')).toEqual(['panic=none']);
    expect(after(a, '-device')).toContain('pvpanic');
    expect(a).not.toContain('-no-reboot');
  });

  it('runs headless with a VGA device, the serial console on stdio and a QMP socket', () => {
    const a = windowsQemuArgs(base);
    expect(after(a, '-display')).toEqual(['none']);
    expect(after(a, '-vga')).toEqual(['std']);
    expect(after(a, '-serial')).toEqual(['chardev:con0']);
    expect(after(a, '-chardev')).toContain('stdio,id=con0,signal=off');
    expect(after(a, '-qmp')).toEqual(['unix:/w/q.sock,server=on,wait=off']);
    expect(a).toContain('-nodefaults');
  });

  it('boots the overlay on AHCI by default, virtio-blk on request', () => {
    const a = windowsQemuArgs(base);
    expect(after(a, '-drive').filter((d) => d.startsWith('file='))).toEqual(['file=/w/disk.qcow2,if=none,id=disk0,format=qcow2,cache=unsafe,discard=unmap']);
    expect(after(a, '-device')).toContain('ide-hd,drive=disk0,bus=ide.0,bootindex=0');
    const v = windowsQemuArgs({ ...base, diskBus: 'virtio' });
    expect(after(v, '-device')).toContain('virtio-blk-pci,drive=disk0,bootindex=0');
  });

  it('opens a VHDX directly only with snapshot=on, so the user disk is never written', () => {
    const a = windowsQemuArgs({ ...base, spec: { ...spec, disk: '/img/win.vhdx' }, diskFormat: 'vhdx' });
    const [drive] = after(a, '-drive').filter((d) => d.startsWith('file='));
    expect(drive).toBe('file=/img/win.vhdx,if=none,id=disk0,format=vhdx,cache=unsafe,snapshot=on');
  });

  it('restricts user networking, forwards SSH on loopback, e1000e by default', () => {
    const a = windowsQemuArgs({ ...base, sshPort: 40123 });
    const [net] = after(a, '-netdev');
    expect(net).toBe('user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40123-:22');
    expect(after(a, '-device')).toContain('e1000e,netdev=n0');
    expect(after(windowsQemuArgs({ ...base, nic: 'virtio' }), '-device')).toContain('virtio-net-pci,netdev=n0');
  });

  it('attaches a TPM 2.0 through the swtpm control socket only when given one', () => {
    expect(windowsQemuArgs(base)).not.toContain('-tpmdev');
    const a = windowsQemuArgs({ ...base, tpmSocket: '/w/tpm/swtpm.sock' });
    expect(after(a, '-chardev')).toContain('socket,id=chrtpm,path=/w/tpm/swtpm.sock');
    expect(after(a, '-tpmdev')).toEqual(['emulator,id=tpm0,chardev=chrtpm']);
    expect(after(a, '-device')).toContain('tpm-tis,tpmdev=tpm0');
  });

  it('adds SMM and a secure pflash for Secure Boot firmware', () => {
    const sb = ovmfFiles(true);
    expect(sb).toEqual({ code: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' });
    const a = windowsQemuArgs({ ...base, secureBoot: true, firmware: { code: sb.code, vars: '/w/vars.fd' } });
    expect(after(a, '-machine')).toEqual(['q35,hpet=off,smm=on']);
    expect(after(a, '-global')).toContain('driver=cfi.pflash01,property=secure,value=on');
    expect(windowsQemuArgs(base).join(' ')).not.toMatch(/smm=on|property=secure/);
  });

  it('doubles commas in paths so QEMU does not read them as option separators', () => {
    expect(qemuOptValue('/a,b/c')).toBe('/a,,b/c');
    const a = windowsQemuArgs({ ...base, spec: { ...spec, disk: '/w/my,disk.qcow2' }, tpmSocket: '/w/t,pm.sock' });
    expect(after(a, '-drive').some((d) => d.startsWith('file=/w/my,,disk.qcow2,if=none'))).toBe(true);
    expect(after(a, '-chardev')).toContain('socket,id=chrtpm,path=/w/t,,pm.sock');
  });

  it('refuses a kernel: Windows boots from its disk', () => {
    expect(() => windowsQemuArgs({ ...base, spec: { ...spec, boot: { kind: 'direct-kernel', kernel: '/vmlinuz', args: [] } } })).toThrow(/UEFI/);
  });
});

describe('overlayCreateArgs', () => {
  it('names the backing format, which the provider default (-F qcow2) gets wrong for VHDX', () => {
    expect(overlayCreateArgs('/img/win.vhdx', 'vhdx', '/c/ovl.qcow2')).toEqual(['create', '-q', '-f', 'qcow2', '-F', 'vhdx', '-b', '/img/win.vhdx', '/c/ovl.qcow2']);
  });
});
