import type { AgentKind } from '../agent-kind.js';
import { EbpfAgent } from './ebpf-agent.js';

/** An eBPF program with its user-space loader, started at boot; the verifier judges the content. */
export const linuxEbpf: AgentKind = {
  kind: 'linux-ebpf',
  os: 'linux',
  accepts: {},
  create: (o) => new EbpfAgent({ name: o.name, health: o.health, cacheDir: o.cacheDir }),
};
