import type { GuestOsName } from '../guest/guest-os.js';
import type { RecoveryMethod } from '../results/recovery-record.js';
import type { AgentDriver } from './agent.js';

/** What a suite's agent entry says, as each kind's driver is made from it. */
export interface AgentOptions {
  name: string;
  /** linux-kmod: the module's name when it is not the agent's. */
  module?: string;
  /** A guest command that exits 0 when the agent runs; the kind's default otherwise. */
  health?: string;
  /** linux-kmod: the module parameter given the content file's path. */
  contentParam?: string;
  /** linux-kmod: the module parameter (name=value) that loads the agent in its safe mode. */
  safeModeParam?: string;
  /** The lab's cache folder: builds are kept there. */
  cacheDir: string;
}

/**
 * One agent kind: the OS it runs on, the suite fields it takes, and how its driver is made. Each
 * kind's folder exports one; agents/registry.ts lists them, and the suite schema's `kind` values
 * come from that list.
 */
export interface AgentKind {
  readonly kind: string;
  readonly os: GuestOsName;
  /** Suite fields only some kinds take: the loader refuses them elsewhere, naming the kinds that do. */
  readonly accepts: { contentParam?: boolean; inTree?: boolean; safeMode?: boolean };
  /** The recovery drills (suite recover:) its driver can take a machine through; none when absent. */
  readonly recoveries?: readonly RecoveryMethod[];
  create(o: AgentOptions): AgentDriver;
}
