import type { AgentKind } from '../agent-kind.js';
import { KmodAgent } from './kmod-agent.js';

/** A Linux kernel module, built per kernel (or prebuilt, or the image's own), loaded at boot. */
export const linuxKmod: AgentKind = {
  kind: 'linux-kmod',
  os: 'linux',
  accepts: { contentParam: true, inTree: true },
  recoveries: ['module-blacklist', 'content-rollback'],
  create: (o) => new KmodAgent({ name: o.name, module: o.module, health: o.health, contentParam: o.contentParam, cacheDir: o.cacheDir }),
};
