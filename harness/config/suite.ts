import { agentKind, kindsAccepting } from '../agents/registry.js';
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { cellIdTail } from './matrix.js';
import { loadYaml, type LoadedYaml } from '../util/yaml.js';
import { suiteAgents, suiteSchema, type Suite } from './suite-schema.js';
import { ConfigError, throwProblems } from '../util/errors.js';
import { notRegularFile } from '../util/fsutil.js';
import { rolloutProblems } from './rollout-checks.js';
import { recoverProblems } from './recover-checks.js';

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

type Where = { file: string; line?: number; field: string };

/**
 * A content file or build source folder the suite names: it must exist, be of the right kind
 * (content a regular file, source a folder: never a FIFO or a device, which would hang the run)
 * and, unless the suite says allowOutside, resolve inside the lab root, symbolic links followed.
 * Checked with stat and realpath only: nothing here opens the path.
 */
async function checkPath(p: string, want: 'content' | 'source', o: { root: string; allowOutside: boolean; where: Where }): Promise<void> {
  const what = want === 'content' ? 'content file' : 'build source folder';
  const st = await stat(p).catch(() => undefined);
  if (!st) throw new ConfigError(want === 'content' ? 'CONTENT_MISSING' : 'BUILD_SOURCE_MISSING', `${what} not found: ${p}`, o.where);
  if (!o.allowOutside) {
    const real = await realpath(p);
    const root = await realpath(o.root);
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw new ConfigError('PATH_OUTSIDE_LAB', `${what} ${p}${real === p ? '' : ` (${real})`} is outside the lab root ${root}: move it into the lab, or set allowOutside: true in the suite`, o.where);
    }
  }
  if (want === 'content' && !st.isFile()) {
    throw new ConfigError('CONTENT_NOT_FILE', `content must be a regular file: ${p} is a ${notRegularFile(st)}`, o.where);
  }
  if (want === 'source' && !st.isDirectory()) {
    throw new ConfigError('BUILD_SOURCE_NOT_FOLDER', `a build source must be a folder: ${p} is a ${st.isFile() ? 'file' : notRegularFile(st)}`, o.where);
  }
}

/**
 * Load a suite and check what can be checked without booting: the schema, and that every
 * file it names exists. Image names are checked against the catalog by the caller. Every problem
 * found is reported at once (ConfigErrors), each at its own line.
 */
export async function loadSuite(file: string): Promise<LoadedSuite> {
  const y = await loadYaml(file, suiteSchema);
  const root = labRootOf(file);
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  const s = y.value;
  const allowOutside = s.allowOutside === true;
  const problems: ConfigError[] = [];
  const fail = (code: string, message: string, where: Where) => problems.push(new ConfigError(code, message, where));
  const pathProblem = (e: unknown) => {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(e);
  };
  for (const [i, c] of s.content.entries()) {
    await checkPath(resolvePath(c.path), 'content', { root, allowOutside, where: { file, line: y.lineOf(['content', i, 'path']), field: `content[${i}].path` } }).catch(pathProblem);
  }
  const dupe = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const agents = suiteAgents(s);
  if (agents.length === 0 || (s.agent && s.agents)) {
    fail('AGENT', s.agent ? 'give agent: or agents:, not both' : 'an agent is needed: agent: { name, kind, builds } (or agents: [...])', { file, line: y.lineOf([s.agent ? 'agents' : 'name']), field: s.agent ? 'agents' : 'agent' });
  }
  const names = agents.map((a) => a.agent.name);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName) fail('DUPLICATE', `agent ${dupName} is listed twice`, { file, line: y.lineOf(['agents']), field: 'agents' });
  for (const { agent, path } of agents) {
    const field = path.join('.').replace(/\.(\d+)/g, '[$1]');
    const kind = agentKind(agent.kind)!;
    if (agent.contentParam !== undefined && !kind.accepts.contentParam) {
      fail('AGENT', `contentParam is a kernel module parameter: for ${kindsAccepting('contentParam').join(', ')} agents, not ${agent.kind}`, { file, line: y.lineOf([...path, 'contentParam']), field: `${field}.contentParam` });
    }
    if (agent.safeMode !== undefined && !kind.accepts.safeMode) {
      fail('AGENT', `safeMode is a kernel module parameter: for ${kindsAccepting('safeMode').join(', ')} agents, not ${agent.kind}`, { file, line: y.lineOf([...path, 'safeMode']), field: `${field}.safeMode` });
    }
    for (const [i, b] of agent.builds.entries()) {
      const at = (key?: string) => ({ file, line: y.lineOf([...path, 'builds', i, ...(key ? [key] : [])]), field: `${field}.builds[${i}]${key ? `.${key}` : ''}` });
      if (b.inTree) {
        if (!kind.accepts.inTree) fail('BUILD_IN_TREE', `inTree is for ${kindsAccepting('inTree').join(', ')} agents (a module of the image's own kernel), not ${agent.kind}`, at('inTree'));
        if (b.source !== undefined) fail('BUILD_SOURCE', 'give source: or inTree: true, not both', at('inTree'));
        if (b.make) fail('BUILD_IN_TREE', 'an in-tree module is taken as the kernel package ships it: make variables do not apply', at('make'));
      } else if (b.source === undefined) {
        fail('BUILD_SOURCE', `build ${b.version} needs source: (a folder)${kind.accepts.inTree ? ' or inTree: true' : ''}`, at());
      } else {
        await checkPath(resolvePath(b.source), 'source', { root, allowOutside, where: at('source') }).catch(pathProblem);
      }
    }
    const d2 = dupe(agent.builds.map((b) => b.version));
    if (d2) fail('DUPLICATE', `build version ${d2} is listed twice`, { file, line: y.lineOf([...path, 'builds']), field: `${field}.builds` });
  }
  const allBuilds = agents.flatMap((a) => a.agent.builds.map((b) => b.version));
  const d1 = dupe(s.content.map((c) => c.version));
  if (d1) fail('DUPLICATE', `content version ${d1} is listed twice`, { file, line: y.lineOf(['content']), field: 'content' });
  for (const [i, step] of (s.lifecycle ?? []).entries()) {
    const where = { file, line: y.lineOf(['lifecycle', i]), field: `lifecycle[${i}]` };
    if (i === 0 && step.action !== 'install') fail('LIFECYCLE', 'the first lifecycle step must be install', where);
    if (i > 0 && step.action === 'install') fail('LIFECYCLE', 'install comes once, first (use upgrade or update-content after it)', where);
    if (step.action === 'update-content' && !s.content.some((c) => c.version === step.version)) {
      fail('LIFECYCLE', `content version ${step.version} is not in this suite's content list`, where);
    }
    if (step.action === 'upgrade' && !allBuilds.includes(step.version!)) {
      fail('LIFECYCLE', `build version ${step.version} is not in this suite's agent.builds`, where);
    }
  }
  for (const axis of ['content', 'builds'] as const) {
    const known = axis === 'content' ? s.content.map((c) => c.version) : allBuilds;
    for (const [i, v] of (s.matrix?.[axis] ?? []).entries()) {
      if (!known.includes(v)) fail('MATRIX', `${axis === 'content' ? 'content' : 'build'} version ${v} is not in this suite`, { file, line: y.lineOf(['matrix', axis, i]), field: `matrix.${axis}[${i}]` });
    }
  }
  problems.push(...rolloutProblems(s, file, y.lineOf), ...recoverProblems(s, file, y.lineOf));
  // Cell ids of a suite with other faults would report their echoes (an empty matrix of unknown versions).
  if (problems.length === 0) problems.push(...cellIdProblems(s, file, y.lineOf));
  throwProblems(problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  const sha256 = createHash('sha256').update(y.text).digest('hex');
  return { suite: s, file, root, sha256, lineOf: y.lineOf, resolvePath };
}

/**
 * Every cell must have an id of its own: its folder and its record in run.json. Names and
 * versions are kept verbatim in ids, so two entries can still meet where the parts join
 * (agent sensor-2 build 1, agent sensor build 2-1): refused, naming both. And at least one cell.
 */
function cellIdProblems(s: Suite, file: string, lineOf: LoadedYaml<Suite>['lineOf']): ConfigError[] {
  const contents = s.content.filter((c) => !s.matrix?.content || s.matrix.content.includes(c.version));
  const seen = new Map<string, { field: string; line?: number; content: string }>();
  const problems: ConfigError[] = [];
  for (const { agent, path } of suiteAgents(s)) {
    for (const [i, b] of agent.builds.entries()) {
      if (s.matrix?.builds && !s.matrix.builds.includes(b.version)) continue;
      const field = `${path.join('.').replace(/\.(\d+)/g, '[$1]')}.builds[${i}]`;
      const line = lineOf([...path, 'builds', i]);
      for (const c of contents) {
        const tail = cellIdTail(agent.name, b.version, c.version);
        const prev = seen.get(tail);
        if (prev) {
          const withContent = prev.content === c.version ? '' : ` (content ${prev.content} and ${c.version})`;
          problems.push(new ConfigError('CELL_ID_CLASH', `agent ${agent.name} build ${b.version} makes the same cell id (<image>__${tail}) as ${prev.field} at ${file}:${prev.line ?? '?'}${withContent}: rename one of them`, { file, line, field }));
          // One report per clashing build: its other contents clash the same way.
          break;
        }
        seen.set(tail, { field, line, content: c.version });
      }
    }
  }
  if (seen.size === 0) problems.push(new ConfigError('MATRIX_EMPTY', 'the matrix has no cells', { file, line: lineOf(['matrix']), field: 'matrix' }));
  return problems;
}
