import { ConfigError } from '../util/errors.js';
import type { GuestTransport } from '../guest/transport.js';
import type { RecoveryAttempt } from '../results/recovery-record.js';

/** What the runner knows of the guest it installs into. */
export interface GuestInfo {
  os: 'linux' | 'windows';
  kernelRelease?: string;
  /** The Debian kernel package the image was built from, and its version (in-tree modules come from it). */
  kernelPackage?: string;
  kernelPackageVersion?: string;
  /** The Debian suite the image's kernel comes from when it is not the host's (recipe `suite:`): headers and build tools come from there too. */
  aptSuite?: string;
  /** The guest's architecture (Debian's name; default amd64): agents build for it (cross-compiled on another host). */
  arch?: 'amd64' | 'arm64';
}

/** What prepare() is asked to make ready: a build of the suite for one image. */
export interface PrepareOptions {
  version: string;
  /** The build's folder (absolute); absent for an in-tree module. */
  source?: string;
  /** linux-kmod: the module from the image's own kernel package. */
  inTree?: boolean;
  guest: GuestInfo;
  /** linux-kmod: make variables of the build. */
  make?: Record<string, string>;
  signal?: AbortSignal;
  progress?: (s: string) => void;
}

export interface ContentArtifact {
  version: string;
  path: string;
  sha256: string;
}

/** A build made ready for one image (for a kernel module: compiled against that kernel). */
export interface PreparedBuild {
  version: string;
  /** Host files the install uploads. */
  files: Record<string, string>;
  /** What the build was made for, for run.json (e.g. the .ko's vermagic). */
  detail?: string;
}

/**
 * The plug-in point for agent kinds: one class per kind and OS. Install leaves the agent set to
 * start at the next boot, as a product's installer does; nothing is loaded by the harness itself.
 */
export interface AgentDriver {
  readonly kind: string;
  prepare(opts: PrepareOptions): Promise<PreparedBuild>;
  install(t: GuestTransport, build: PreparedBuild, content: ContentArtifact, signal?: AbortSignal): Promise<void>;
  /** Exit 0 of the health command: the agent runs; its output is kept. */
  health(t: GuestTransport, signal?: AbortSignal): Promise<{ ok: boolean; output: string }>;
  uninstall(t: GuestTransport, signal?: AbortSignal): Promise<void>;
  /** Stop the agent without uninstalling it, and start it again: for measuring with and without it in one boot. */
  pause?(t: GuestTransport, signal?: AbortSignal): Promise<void>;
  resume?(t: GuestTransport, signal?: AbortSignal): Promise<void>;
  /** The agent's own memory in the guest, in bytes (a module's core size, a daemon's RSS). */
  footprint?(t: GuestTransport, signal?: AbortSignal): Promise<number | undefined>;
  /** Replace the content only, the build untouched (a content update as the vendor ships it). */
  updateContent?(t: GuestTransport, content: ContentArtifact, signal?: AbortSignal): Promise<void>;
  /** Kernel arguments an operator adds to the boot entry to boot without the agent (recovery drills). */
  bootWithoutAgentArgs?(): string[];
  /** A shell command that removes the agent from the disk so the next boot starts without it (typed in a rescue shell: no depmod, no services). */
  rescueRemoveCommand?(): string;
  /**
   * Windows: remove the driver through Safe Mode over SSH (windows-safe-mode), rebooting with
   * `reboot`; resolves with the attempt and the transport of the last boot.
   */
  removeThroughSafeMode?(t: GuestTransport, reboot: (t: GuestTransport) => Promise<GuestTransport>, signal?: AbortSignal): Promise<{ attempt: RecoveryAttempt; transport: GuestTransport }>;
  /** Kernel arguments that boot the agent in its own safe mode (no content), when the agent declares one. */
  safeModeArgs?(): string[];
  /**
   * A guest shell command that makes the installed agent read the content at `remotePath` now,
   * without a reboot (its runtime content update; for a module that reads content at load, a
   * reload): exit 0 = loaded, any other = refused. For `bootgate fuzz`: a mutant then costs a
   * content load, not a boot. Undefined when the agent has no such path.
   */
  contentLoadCommand?(build: PreparedBuild, remotePath: string): string | undefined;
}

/** An install step that failed because of the agent (it would fail on any lab). */
export class AgentInstallError extends Error {
  readonly code = 'AGENT_INSTALL';
}

/** The build's folder, for kinds that always take one (the suite loader checks this first). */
export function requireSource(opts: PrepareOptions, kind: string): string {
  if (opts.source === undefined) throw new ConfigError('BUILD_SOURCE', `build ${opts.version}: a ${kind} agent needs a source folder`, { field: 'source' });
  return opts.source;
}
