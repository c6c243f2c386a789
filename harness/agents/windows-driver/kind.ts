import type { AgentKind } from '../agent-kind.js';
import { WindowsDriverAgent } from './driver-agent.js';

/** A Windows kernel driver installed as a boot-start service (sc.exe) or from its INF (pnputil). */
export const windowsDriver: AgentKind = {
  kind: 'windows-driver',
  os: 'windows',
  accepts: {},
  create: (o) => new WindowsDriverAgent({ name: o.name, health: o.health }),
};
