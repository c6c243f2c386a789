import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { ARCH_PROFILES, debianArchOf, type GuestArch } from './guest-arch.js';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  why: string;
}

const cached = new Map<GuestArch, Promise<AccelChoice>>();

/**
 * KVM where it really works, TCG otherwise. /dev/kvm can exist and still fail at the first
 * vCPU (nested virtualisation without the MSRs QEMU sets), so a tiny VM is started to see.
 * KVM runs guests of the host's own architecture only: an arm64 guest on an amd64 host is TCG.
 */
export function chooseAccel(arch: GuestArch = 'amd64', hostArch: string = process.arch): Promise<AccelChoice> {
  const forced = process.env.BOOTGATE_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return Promise.resolve({ accel: forced, why: `BOOTGATE_ACCEL=${forced}` });
  if (debianArchOf(hostArch) !== arch) return Promise.resolve({ accel: 'tcg', why: `TCG (software emulation): ${arch} guests on an ${debianArchOf(hostArch) ?? hostArch} host` });
  let c = cached.get(arch);
  if (!c) cached.set(arch, (c = probe(arch)));
  return c;
}

async function probe(arch: GuestArch): Promise<AccelChoice> {
  const { qemu, machine } = ARCH_PROFILES[arch];
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', why: 'TCG (software emulation): /dev/kvm is missing or not accessible' };
  }
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(qemu, ['-accel', 'kvm', '-cpu', 'host', '-machine', arch === 'arm64' ? `${machine},gic-version=max` : machine, '-nodefaults', '-display', 'none', '-m', '64', '-no-user-config', '-monitor', 'none', '-serial', 'none'], { stdio: 'ignore' });
    // Still running after a moment: the vCPU started. Exiting at once: KVM is unusable.
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(true);
    }, 1500);
    child.on('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
    child.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  return ok
    ? { accel: 'kvm', why: 'KVM' }
    : { accel: 'tcg', why: 'TCG (software emulation): /dev/kvm exists but a KVM guest could not start (nested virtualisation?)' };
}
