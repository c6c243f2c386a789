import type { AgentKind } from '../agent-kind.js';
import { KmodAgent } from './kmod-agent.js';

/** A Linux kernel module, built per kernel (or prebuilt, or the image's own), loaded at boot. */
export const linuxKmod: AgentKind = {
  kind: 'linux-kmod',
  os: 'linux',
  accepts: { contentParam: true, inTree: true, safeMode: true },
  // agent-safe-mode only for an agent that declares its safe-mode parameter (config/recover-checks.ts).
  recoveries: ['module-blacklist', 'content-rollback', 'agent-safe-mode', 'rescue-boot'],
  create: (o) => new KmodAgent({ name: o.name, module: o.module, health: o.health, contentParam: o.contentParam, safeModeParam: o.safeModeParam, cacheDir: o.cacheDir }),
};
