import { ConfigError } from '../../util/errors.js';

export const CAPABILITIES = ['kvm', 'x86_64', 'arm64', 'windows'] as const;

/** `--capabilities kvm,x86_64`: known names only, one architecture at least; sorted, without repeats. */
export function parseCapabilities(v: string): string[] {
  const caps = [...new Set(v.split(',').map((c) => c.trim()).filter((c) => c !== ''))].sort();
  const unknown = caps.filter((c) => !(CAPABILITIES as readonly string[]).includes(c));
  if (unknown.length) throw new ConfigError('CAPABILITIES', `unknown capability ${unknown.join(', ')} (known: ${CAPABILITIES.join(', ')})`, { field: '--capabilities' });
  if (!caps.some((c) => c === 'x86_64' || c === 'arm64')) throw new ConfigError('CAPABILITIES', 'name the architecture this host runs guests of: x86_64 or arm64', { field: '--capabilities' });
  return caps;
}

/**
 * What a host offers when --capabilities is not given: the host's architecture, and kvm when the
 * provider says KVM works. `windows` only on request: it needs the user's own Windows disks.
 */
export function defaultCapabilities(nodeArch: string, accel: string): string[] {
  const arch = nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'arm64' : nodeArch;
  return [...(/^KVM\b/.test(accel) ? ['kvm'] : []), arch].sort();
}
