import type { AgentKind } from './agent-kind.js';
import { linuxEbpf } from './linux-ebpf/kind.js';
import { linuxKmod } from './linux-kmod/kind.js';
import { windowsDriver } from './windows-driver/kind.js';

/** Every agent kind: adding one is a folder under agents/ exporting an AgentKind, and a line here. */
export const AGENT_KINDS: readonly AgentKind[] = [linuxKmod, linuxEbpf, windowsDriver];

/** The kind names, for the suite schema's enum. */
export const AGENT_KIND_NAMES = AGENT_KINDS.map((k) => k.kind) as [string, ...string[]];

export function agentKind(kind: string): AgentKind | undefined {
  return AGENT_KINDS.find((k) => k.kind === kind);
}

/** The kinds that take a field, for error messages. */
export const kindsAccepting = (field: keyof AgentKind['accepts']) => AGENT_KINDS.filter((k) => k.accepts[field]).map((k) => k.kind);
