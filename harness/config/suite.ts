import { agentKind, kindsAccepting } from '../agents/registry.js';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { loadYaml, type LoadedYaml } from '../util/yaml.js';
import { suiteAgents, suiteSchema, type Suite } from './suite-schema.js';
import { ConfigError } from '../util/errors.js';

export interface LoadedSuite {
  suite: Suite;
  file: string;
  /** Relative paths of the suite resolve here: the folder holding suites/, or the suite's own folder. */
  root: string;
  sha256: string;
  lineOf: LoadedYaml<Suite>['lineOf'];
  resolvePath(p: string): string;
}

export function labRootOf(file: string): string {
  const dir = dirname(resolve(file));
  return basename(dir) === 'suites' ? dirname(dir) : dir;
}

async function kindOf(p: string): Promise<'file' | 'dir' | undefined> {
  const st = await stat(p).catch(() => undefined);
  return st ? (st.isDirectory() ? 'dir' : 'file') : undefined;
}

/**
 * Load a suite and check what can be checked without booting: the schema, and that every
 * file it names exists. Image names are checked against the catalog by the caller.
 */
export async function loadSuite(file: string): Promise<LoadedSuite> {
  const y = await loadYaml(file, suiteSchema);
  const root = labRootOf(file);
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  const s = y.value;
  for (const [i, c] of s.content.entries()) {
    if ((await kindOf(resolvePath(c.path))) !== 'file') {
      throw new ConfigError('CONTENT_MISSING', `content file not found: ${resolvePath(c.path)}`, { file, line: y.lineOf(['content', i, 'path']), field: `content[${i}].path` });
    }
  }
  const dupe = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const agents = suiteAgents(s);
  if (agents.length === 0 || (s.agent && s.agents)) {
    throw new ConfigError('AGENT', s.agent ? 'give agent: or agents:, not both' : 'an agent is needed: agent: { name, kind, builds } (or agents: [...])', { file, line: y.lineOf([s.agent ? 'agents' : 'name']), field: s.agent ? 'agents' : 'agent' });
  }
  const names = agents.map((a) => a.agent.name);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName) throw new ConfigError('DUPLICATE', `agent ${dupName} is listed twice`, { file, line: y.lineOf(['agents']), field: 'agents' });
  for (const { agent, path } of agents) {
  const field = path.join('.').replace(/\.(\d+)/g, '[$1]');
  const kind = agentKind(agent.kind)!;
  if (agent.contentParam !== undefined && !kind.accepts.contentParam) {
    throw new ConfigError('AGENT', `contentParam is a kernel module parameter: for ${kindsAccepting('contentParam').join(', ')} agents, not ${agent.kind}`, { file, line: y.lineOf([...path, 'contentParam']), field: `${field}.contentParam` });
  }
  for (const [i, b] of agent.builds.entries()) {
    const at = (key?: string) => ({ file, line: y.lineOf([...path, 'builds', i, ...(key ? [key] : [])]), field: `${field}.builds[${i}]${key ? `.${key}` : ''}` });
    if (b.inTree && !kind.accepts.inTree) throw new ConfigError('BUILD_IN_TREE', `inTree is for ${kindsAccepting('inTree').join(', ')} agents (a module of the image's own kernel), not ${agent.kind}`, at('inTree'));
    if (b.inTree && b.source !== undefined) throw new ConfigError('BUILD_SOURCE', 'give source: or inTree: true, not both', at('inTree'));
    if (b.inTree && b.make) throw new ConfigError('BUILD_IN_TREE', 'an in-tree module is taken as the kernel package ships it: make variables do not apply', at('make'));
    if (b.inTree) continue;
    if (b.source === undefined) throw new ConfigError('BUILD_SOURCE', `build ${b.version} needs source: (a folder)${kind.accepts.inTree ? ' or inTree: true' : ''}`, at());
    if ((await kindOf(resolvePath(b.source))) !== 'dir') {
      throw new ConfigError('BUILD_SOURCE_MISSING', `build source folder not found: ${resolvePath(b.source)}`, at('source'));
    }
  }
  const d2 = dupe(agent.builds.map((b) => b.version));
  if (d2) throw new ConfigError('DUPLICATE', `build version ${d2} is listed twice`, { file, line: y.lineOf([...path, 'builds']), field: `${field}.builds` });
  }
  const allBuilds = agents.flatMap((a) => a.agent.builds.map((b) => b.version));
  const d1 = dupe(s.content.map((c) => c.version));
  if (d1) throw new ConfigError('DUPLICATE', `content version ${d1} is listed twice`, { file, line: y.lineOf(['content']), field: 'content' });
  for (const [i, step] of (s.lifecycle ?? []).entries()) {
    const where = { file, line: y.lineOf(['lifecycle', i]), field: `lifecycle[${i}]` };
    if (i === 0 && step.action !== 'install') throw new ConfigError('LIFECYCLE', 'the first lifecycle step must be install', where);
    if (i > 0 && step.action === 'install') throw new ConfigError('LIFECYCLE', 'install comes once, first (use upgrade or update-content after it)', where);
    if (step.action === 'update-content' && !s.content.some((c) => c.version === step.version)) {
      throw new ConfigError('LIFECYCLE', `content version ${step.version} is not in this suite's content list`, where);
    }
    if (step.action === 'upgrade' && !allBuilds.includes(step.version!)) {
      throw new ConfigError('LIFECYCLE', `build version ${step.version} is not in this suite's agent.builds`, where);
    }
  }
  for (const axis of ['content', 'builds'] as const) {
    const known = axis === 'content' ? s.content.map((c) => c.version) : allBuilds;
    for (const [i, v] of (s.matrix?.[axis] ?? []).entries()) {
      if (!known.includes(v)) throw new ConfigError('MATRIX', `${axis === 'content' ? 'content' : 'build'} version ${v} is not in this suite`, { file, line: y.lineOf(['matrix', axis, i]), field: `matrix.${axis}[${i}]` });
    }
  }
  const sha256 = createHash('sha256').update(y.text).digest('hex');
  return { suite: s, file, root, sha256, lineOf: y.lineOf, resolvePath };
}
