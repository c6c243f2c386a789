import { access, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineSpec } from '../provider.js';
import { LabError } from '../../util/errors.js';

/**
 * The qemu-system-x86_64 command line of a Windows guest. Pure, so it is unit tested
 * (windows-args.test.ts); swtpm.int.test.ts also starts real QEMU 7.2 + OVMF + swtpm with it.
 * Nothing here has booted real Windows (no Windows media on the build machine): see
 * docs/windows-guests.md for what is verified and what is not.
 *
 * Differences from the Linux line (qemu-args.ts) and why:
 * - UEFI from two pflash drives: Debian's read-only OVMF_CODE_4M.fd and a per-VM writable copy of
 *   OVMF_VARS_4M.fd (firmware variables are written by Windows' boot manager). Secure Boot uses
 *   OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.ms.fd (Microsoft keys enrolled), which needs SMM
 *   (`smm=on` and a secure pflash).
 * - Hyper-V enlightenments under KVM, `hv-crash` among them: on a bugcheck Windows writes the STOP
 *   code and its four parameters to the Hyper-V crash MSRs and QEMU emits GUEST_PANICKED with
 *   `info.type = "hyper-v"`. The crash exit comes from KVM: under TCG there are no enlightenments
 *   and no GUEST_PANICKED for a bugcheck (evidence then comes only from the event log and dumps
 *   after the reboot). Windows under TCG is impractically slow anyway.
 * - `-action panic=none`: with hv-crash the default `panic=shutdown` stops the VM as soon as the
 *   crash MSRs are written, before Windows writes its dump. With `none` we get the event, the dump
 *   and Windows' own automatic reboot (a RESET `guest-reset`), i.e. the boot loop behaves as on
 *   hardware. Not `pause` as for Linux: a paused Windows never writes its dump.
 * - A VGA device (`-vga std`) although the display is off: Windows expects a display adapter.
 * - Disk on the q35 built-in AHCI controller by default: every Windows since 8 has the inbox
 *   storahci driver; virtio-blk needs the virtio-win viostor driver installed in the image.
 * - e1000e NIC by default (inbox driver); virtio-net needs virtio-win's netkvm.
 * - RTC in local time (what Windows assumes unless RealTimeIsUniversal is set) with slewed drift
 *   correction, HPET off, KVM PIT ticks delayed instead of dropped: the usual Windows timer setup.
 * - TPM 2.0 from a swtpm process over its control socket (swtpm.ts), for Windows 11.
 */

export type WindowsDiskFormat = 'qcow2' | 'vhdx';
export type WindowsNic = 'e1000e' | 'virtio';
export type WindowsDiskBus = 'sata' | 'virtio';

export interface WindowsFirmware {
  /** Read-only firmware code (e.g. /usr/share/OVMF/OVMF_CODE_4M.fd). */
  code: string;
  /** This VM's own writable copy of the variable store template. Never the template itself. */
  vars: string;
}

export interface WindowsQemuArgsInput {
  spec: MachineSpec;
  accel: 'kvm' | 'tcg';
  qmpSocket: string;
  sshPort: number;
  firmware: WindowsFirmware;
  /** swtpm's control socket (`--ctrl type=unixio,path=...`); no TPM without it. */
  tpmSocket?: string;
  /**
   * Format of the file at `spec.disk`, the file QEMU opens.
   * - 'qcow2': the normal case, the cell's qcow2 overlay (its backing file, the user's qcow2 or
   *   VHDX, is named with its format in the overlay's header: see overlayCreateArgs()).
   * - 'vhdx': the user's VHDX opened directly; QEMU then gets `snapshot=on`, so every write goes
   *   to a temporary overlay and the VHDX is never modified, and everything written (an installed
   *   agent too) is gone when QEMU exits. Only for one-process smoke runs, not for cells.
   */
  diskFormat: WindowsDiskFormat;
  /** Secure Boot firmware (pair with ovmfFiles(true)): adds smm=on and a secure pflash. Default false. */
  secureBoot?: boolean;
  /** Default 'e1000e' (inbox driver). */
  nic?: WindowsNic;
  /** Default 'sata' (AHCI, inbox driver). */
  diskBus?: WindowsDiskBus;
  /**
   * Hyper-V enlightenments under KVM. Default HYPERV_ENLIGHTENMENTS; HYPERV_MINIMAL for a host
   * kernel that refuses some (QEMU then exits at start, e.g. "kernel doesn't allow setting HyperV
   * VP_INDEX" under nested virtualisation). Keep hv-crash in any list: it carries the bugcheck.
   */
  enlightenments?: readonly string[];
}

/** Hyper-V enlightenments given to Windows under KVM. hv-synic needs hv-vpindex; hv-stimer needs hv-synic and hv-time. */
export const HYPERV_ENLIGHTENMENTS: readonly string[] = [
  'hv-relaxed',
  'hv-vapic',
  'hv-spinlocks=0x1fff',
  'hv-vpindex',
  'hv-runtime',
  'hv-time',
  'hv-synic',
  'hv-stimer',
  'hv-frequencies',
  'hv-crash',
];

/** The smallest useful set: no SynIC, timers or VP index, which some host kernels refuse. */
export const HYPERV_MINIMAL: readonly string[] = ['hv-relaxed', 'hv-vapic', 'hv-spinlocks=0x1fff', 'hv-time', 'hv-crash'];

/** File names shipped by Debian bookworm's `ovmf` package (2022.11-6), checked with `dpkg-deb -c`. */
export const OVMF_FILES = {
  dir: '/usr/share/OVMF',
  /** No Secure Boot, no SMM needed. */
  code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  /** Empty variable store (Secure Boot off). */
  varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd',
  /** Secure Boot capable, aborts without SMM. OVMF_CODE_4M.ms.fd is a symlink to it. */
  secureCode: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
  /** Microsoft KEK/DB enrolled, Secure Boot already on. */
  secureVarsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
} as const;

export function ovmfFiles(secureBoot: boolean): { code: string; varsTemplate: string } {
  return secureBoot
    ? { code: OVMF_FILES.secureCode, varsTemplate: OVMF_FILES.secureVarsTemplate }
    : { code: OVMF_FILES.code, varsTemplate: OVMF_FILES.varsTemplate };
}

/** A value inside a QEMU `-opt key=value,...` list: a comma is written twice. */
export function qemuOptValue(v: string): string {
  return v.replace(/,/g, ',,');
}

export function windowsQemuArgs(input: WindowsQemuArgsInput): string[] {
  const { spec, accel, qmpSocket, sshPort, firmware, tpmSocket, diskFormat } = input;
  const secureBoot = input.secureBoot ?? false;
  const nic = input.nic ?? 'e1000e';
  const diskBus = input.diskBus ?? 'sata';
  if (spec.boot.kind !== 'uefi') {
    throw new LabError('WINDOWS_ARGS', `${spec.name}: a Windows guest boots from its disk through UEFI; a direct kernel boot is not for it`);
  }
  if (diskFormat !== 'qcow2' && diskFormat !== 'vhdx') {
    throw new LabError('WINDOWS_ARGS', `${spec.name}: unsupported disk format ${JSON.stringify(diskFormat)}`);
  }
  if (firmware.vars === OVMF_FILES.varsTemplate || firmware.vars === OVMF_FILES.secureVarsTemplate) {
    throw new LabError('WINDOWS_ARGS', `${spec.name}: firmware.vars must be a per-VM copy, not the shared template ${firmware.vars}`);
  }
  const q = qemuOptValue;

  const machine = ['q35', 'hpet=off', ...(secureBoot ? ['smm=on'] : [])].join(',');
  const cpu = accel === 'kvm' ? ['host', ...(input.enlightenments ?? HYPERV_ENLIGHTENMENTS)].join(',') : 'max';
  const driveOpts = [
    `file=${q(spec.disk)}`,
    'if=none',
    'id=disk0',
    `format=${diskFormat}`,
    'cache=unsafe',
    ...(diskFormat === 'qcow2' ? ['discard=unmap'] : ['snapshot=on']),
  ].join(',');
  const diskDevice = diskBus === 'sata' ? 'ide-hd,drive=disk0,bus=ide.0,bootindex=0' : 'virtio-blk-pci,drive=disk0,bootindex=0';
  const nicDevice = `${nic === 'virtio' ? 'virtio-net-pci' : 'e1000e'},netdev=n0`;

  const args = [
    '-name', `bootgate-${spec.name},process=bootgate-${spec.name}`,
    '-machine', machine,
    '-accel', accel,
    '-cpu', cpu,
    '-m', String(spec.memoryMiB),
    '-smp', String(spec.cpus),
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-vga', 'std',
    '-monitor', 'none',
    '-chardev', 'stdio,id=con0,signal=off',
    '-serial', 'chardev:con0',
    '-qmp', `unix:${q(qmpSocket)},server=on,wait=off`,
    '-rtc', 'base=localtime,driftfix=slew',
    ...(accel === 'kvm' ? ['-global', 'kvm-pit.lost_tick_policy=delay'] : []),
    '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${q(firmware.code)}`,
    '-drive', `if=pflash,format=raw,unit=1,file=${q(firmware.vars)}`,
    ...(secureBoot ? ['-global', 'driver=cfi.pflash01,property=secure,value=on'] : []),
    '-drive', driveOpts,
    '-device', diskDevice,
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:${spec.guestSshPort}`,
    '-device', nicDevice,
    '-device', 'pvpanic',
    '-action', 'panic=none',
  ];
  if (tpmSocket) {
    args.push(
      '-chardev', `socket,id=chrtpm,path=${q(tpmSocket)}`,
      '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
      '-device', 'tpm-tis,tpmdev=tpm0',
    );
  }
  return args;
}

/**
 * `qemu-img` arguments for the cell's overlay on a user disk. The backing format must be named:
 * QemuProvider.createOverlay() always says `-F qcow2`, which is wrong for a VHDX base.
 */
export function overlayCreateArgs(base: string, baseFormat: WindowsDiskFormat, overlay: string): string[] {
  return ['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, overlay];
}

/**
 * Copies the OVMF variable store template into the VM's scratch folder and returns the pair for
 * windowsQemuArgs. Fails with HOST_TOOL_MISSING when Debian's `ovmf` package is not installed.
 */
export async function prepareWindowsFirmware(workDir: string, secureBoot: boolean): Promise<WindowsFirmware> {
  const f = ovmfFiles(secureBoot);
  for (const p of [f.code, f.varsTemplate]) {
    try {
      await access(p);
    } catch (e) {
      throw new LabError('HOST_TOOL_MISSING', `UEFI firmware ${p} is missing: install Debian's ovmf package (apt-get install ovmf)`, { cause: e });
    }
  }
  const vars = join(workDir, secureBoot ? 'OVMF_VARS_4M.ms.fd' : 'OVMF_VARS_4M.fd');
  await copyFile(f.varsTemplate, vars);
  return { code: f.code, vars };
}
