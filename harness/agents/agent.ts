import type { GuestTransport } from '../guest/transport.js';

/** What the runner knows of the guest it installs into. */
export interface GuestInfo {
  os: 'linux' | 'windows';
  kernelRelease?: string;
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
  prepare(opts: { version: string; source: string; guest: GuestInfo; signal?: AbortSignal; progress?: (s: string) => void }): Promise<PreparedBuild>;
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
}

/** An install step that failed because of the agent (it would fail on any lab). */
export class AgentInstallError extends Error {
  readonly code = 'AGENT_INSTALL';
}
