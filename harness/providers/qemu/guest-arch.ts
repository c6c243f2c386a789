/**
 * The guest architectures QEMU runs here, and what differs between them on the command line: the
 * system emulator, the machine, the serial console's name and the panic device. One table, so an
 * architecture is added in one place.
 */
export type GuestArch = 'amd64' | 'arm64';

export interface ArchProfile {
  /** The QEMU system emulator and the Debian package that brings it (for `bootgate doctor`). */
  qemu: string;
  pkg: string;
  /** The machine type: q35 (PCIe) on x86, virt (PCIe, GICv3 on KVM) on arm64. */
  machine: string;
  /** The kernel's name for the first serial port: 8250 on x86, PL011 on the virt machine. */
  console: string;
  /** The pvpanic device: ISA on x86, its PCI form on virt (no ISA bus there). */
  pvpanic: string;
}

export const ARCH_PROFILES: Record<GuestArch, ArchProfile> = {
  amd64: { qemu: 'qemu-system-x86_64', pkg: 'qemu-system-x86', machine: 'q35', console: 'ttyS0', pvpanic: 'pvpanic' },
  arm64: { qemu: 'qemu-system-aarch64', pkg: 'qemu-system-arm', machine: 'virt', console: 'ttyAMA0', pvpanic: 'pvpanic-pci' },
};

/** The Debian name of the host's architecture (Node's process.arch), or undefined for one we run no guests on. */
export function debianArchOf(nodeArch: string): GuestArch | undefined {
  return nodeArch === 'x64' ? 'amd64' : nodeArch === 'arm64' ? 'arm64' : undefined;
}
