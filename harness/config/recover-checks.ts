import { agentKind } from '../agents/registry.js';
import type { RecoveryMethod } from '../results/recovery-record.js';
import { ConfigError } from '../util/errors.js';
import type { LoadedYaml } from '../util/yaml.js';
import { suiteAgents, type Agent, type Suite } from './suite-schema.js';

/** The recoveries an agent can be taken through: what it declares, else all its kind supports (its safe mode only when it has one). */
export function agentRecoveries(agent: Pick<Agent, 'kind' | 'recoveries' | 'safeMode'>): readonly RecoveryMethod[] {
  return agent.recoveries ?? (agentKind(agent.kind)?.recoveries ?? []).filter((m) => m !== 'agent-safe-mode' || agent.safeMode !== undefined);
}

/** Methods that install earlier content over SSH in their recovery boot. */
const ROLLS_BACK: readonly RecoveryMethod[] = ['content-rollback', 'agent-safe-mode'];

/**
 * The recoveries a drill tries for an agent: the suite's methods, or every one the agent supports
 * that the image allows (a rescue shell needs a full-disk image: the initramfs userland takes no
 * init=). Methods the suite names are tried as named: one the image does not allow is recorded
 * as such.
 */
export function drillMethods(s: Pick<Suite, 'recover'>, agent: Pick<Agent, 'kind' | 'recoveries' | 'safeMode'>, image?: { userland?: string }): readonly RecoveryMethod[] {
  return s.recover?.methods ?? agentRecoveries(agent).filter((m) => m !== 'rescue-boot' || image === undefined || image.userland === 'disk');
}

/** The content content-rollback installs over the cell's: the suite's choice, else its first other version. */
export function rollbackContent(s: Pick<Suite, 'recover' | 'content'>, cellContent: string): string | undefined {
  return s.recover?.content ?? s.content.find((c) => c.version !== cellContent)?.version;
}

/**
 * What recover: and an agent's recoveries: must say of themselves: methods the agent's kind can
 * carry out, a content version of this suite to roll back to, and one to roll back to at all.
 */
export function recoverProblems(s: Suite, file: string, lineOf: LoadedYaml<Suite>['lineOf']): ConfigError[] {
  const problems: ConfigError[] = [];
  for (const { agent, path } of suiteAgents(s)) {
    const field = path.join('.').replace(/\.(\d+)/g, '[$1]');
    const kind = agentKind(agent.kind);
    const can = kind?.recoveries ?? [];
    for (const [i, m] of (agent.recoveries ?? []).entries()) {
      if (!can.includes(m)) problems.push(new ConfigError('RECOVER', `a ${agent.kind} agent cannot be taken through ${m}${can.length ? ` (it can: ${can.join(', ')})` : ' (no recovery drill is built for its kind)'}`, { file, line: lineOf([...path, 'recoveries', i]), field: `${field}.recoveries[${i}]` }));
      else if (m === 'agent-safe-mode' && !agent.safeMode) problems.push(new ConfigError('RECOVER', 'agent-safe-mode needs the agent\'s safe-mode parameter: add safeMode: { param: NAME=VALUE }', { file, line: lineOf([...path, 'recoveries', i]), field: `${field}.recoveries[${i}]` }));
    }
    if (!s.recover) continue;
    const supported = agentRecoveries(agent);
    if (supported.length === 0) problems.push(new ConfigError('RECOVER', `agent ${agent.name} supports no recovery drill (${agent.kind})`, { file, line: lineOf(['recover']), field: 'recover' }));
    for (const [i, m] of (s.recover.methods ?? []).entries()) {
      if (supported.length && !supported.includes(m)) problems.push(new ConfigError('RECOVER', `agent ${agent.name} does not support ${m} (it supports: ${supported.join(', ')})`, { file, line: lineOf(['recover', 'methods', i]), field: `recover.methods[${i}]` }));
    }
  }
  const r = s.recover;
  if (r?.content !== undefined && !s.content.some((c) => c.version === r.content)) {
    problems.push(new ConfigError('RECOVER', `content version ${r.content} is not in this suite's content list`, { file, line: lineOf(['recover', 'content']), field: 'recover.content' }));
  }
  const rollsBack = r && suiteAgents(s).flatMap(({ agent }) => drillMethods(s, agent)).find((m) => ROLLS_BACK.includes(m));
  if (rollsBack && r.content === undefined && s.content.length < 2) {
    problems.push(new ConfigError('RECOVER', `${rollsBack} needs a content version to roll back to: add one to content: and name it in recover.content`, { file, line: lineOf(['recover']), field: 'recover.content' }));
  }
  return problems;
}
