import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { spawn } from 'node:child_process';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  why: string;
}

let cached: Promise<AccelChoice> | undefined;

/**
 * KVM where it really works, TCG otherwise. /dev/kvm can exist and still fail at the first
 * vCPU (nested virtualisation without the MSRs QEMU sets), so a tiny VM is started to see.
 */
export function chooseAccel(qemu = 'qemu-system-x86_64'): Promise<AccelChoice> {
  const forced = process.env.BOOTGATE_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return Promise.resolve({ accel: forced, why: `BOOTGATE_ACCEL=${forced}` });
  cached ??= probe(qemu);
  return cached;
}

async function probe(qemu: string): Promise<AccelChoice> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', why: 'TCG (software emulation): /dev/kvm is missing or not accessible' };
  }
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(qemu, ['-accel', 'kvm', '-cpu', 'host', '-machine', 'q35', '-nodefaults', '-display', 'none', '-m', '64', '-no-user-config', '-monitor', 'none', '-serial', 'none'], { stdio: 'ignore' });
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
