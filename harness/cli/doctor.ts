import { cleanLeftovers, describeLeftovers, findLeftovers } from '../run/leftovers.js';
import { execCapture } from '../util/exec.js';
import type { HostTool, Provider } from '../providers/provider.js';
import { createProvider } from '../providers/registry.js';
import { dockerFacts } from '../providers/docker/docker-facts.js';

/** Host tools the lab runs beside its provider's, and the Debian package that brings each. */
export const HOST_TOOLS: HostTool[] = [
  { tool: 'apt-get', pkg: 'apt', why: 'downloads kernels and userland packages' },
  { tool: 'dpkg-deb', pkg: 'dpkg', why: 'unpacks packages without installing them' },
  { tool: 'depmod', pkg: 'kmod', why: 'indexes kernel modules for the initramfs' },
  { tool: 'readelf', pkg: 'binutils', why: 'finds the libraries of guest binaries' },
  { tool: 'cpio', pkg: 'cpio', why: 'packs the initramfs' },
  { tool: 'mkfs.ext4', pkg: 'e2fsprogs', why: 'formats the guest state disk' },
  { tool: 'xz', pkg: 'xz-utils', why: 'unpacks compressed kernel modules' },
  { tool: 'zstd', pkg: 'zstd', why: 'unpacks compressed kernel modules' },
  { tool: 'make', pkg: 'make', why: 'builds kernel module agents' },
  { tool: 'gcc', pkg: 'gcc', why: 'builds kernel module agents' },
  { tool: 'pahole', pkg: 'dwarves', why: 'BTF for kernel modules built against 6.12 headers' },
  { tool: 'mmdebstrap', pkg: 'mmdebstrap', why: 'builds the full Debian disk userland' },
  { tool: 'clang', pkg: 'clang', why: 'builds eBPF agents (-target bpf)' },
  { tool: 'bpftool', pkg: 'bpftool', why: 'builds eBPF agents (skeletons)' },
];

export interface DoctorReport {
  ok: boolean;
  lines: string[];
  missingPackages: string[];
}

async function found(tool: string): Promise<boolean> {
  const r = await execCapture('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`]).catch(() => ({ code: 1 }));
  return r.code === 0;
}

export async function doctor(provider: Provider = createProvider()!): Promise<DoctorReport> {
  const lines: string[] = [];
  const missing: string[] = [];
  for (const t of [...provider.hostTools, ...HOST_TOOLS]) {
    const ok = await found(t.tool);
    lines.push(`${ok ? 'ok     ' : 'MISSING'} ${t.tool.padEnd(20)} ${ok ? '' : `(Debian package ${t.pkg}) `}${t.why}`);
    if (!ok && !missing.includes(t.pkg)) missing.push(t.pkg);
  }
  const providerPkgs = provider.hostTools.map((t) => t.pkg);
  if (!missing.some((m) => providerPkgs.includes(m))) lines.push(`guests:  ${provider.name}: ${await provider.describe()}`);
  const apt = await execCapture('apt-cache', ['policy', 'linux-image-amd64']).catch(() => ({ stdout: '' }));
  if (!/Candidate:\s*\d/.test(apt.stdout)) {
    lines.push('MISSING apt package lists: run `apt-get update` (kernels and userland come from Debian packages)');
    missing.push('(apt-get update)');
  }
  const left = await findLeftovers();
  lines.push(describeLeftovers(left, await cleanLeftovers(left)) ?? 'ok      no leftovers of earlier runs (VMs, scratch folders)');
  // The docker provider is optional: its facts are said, never counted as missing.
  lines.push(...(await dockerFacts()));
  if (missing.length) lines.push(`to fix: apt-get update && apt-get install -y ${missing.filter((m) => !m.startsWith('(')).join(' ')}`.trim());
  return { ok: missing.length === 0, lines, missingPackages: missing };
}
