import { join } from 'node:path';
import type { LoadedSuite } from '../config/suite.js';
import { suiteAgents } from '../config/suite-schema.js';
import { TEMPLATE_FILE } from '../fuzz/template-file.js';
import { ConfigError } from '../util/errors.js';
import { pathExists } from '../util/fsutil.js';

/** What the command line narrows the suite to; the first of each when left out. */
export interface FuzzChoice {
  image?: string;
  agent?: string;
  build?: string;
  /** Seed content versions; default: every content of the suite. */
  content?: string[];
  /** The content template; default: content-template.yaml in the build's source folder. */
  template?: string;
}

export interface FuzzTarget {
  image: string;
  agent: string;
  kind: string;
  build: string;
  seeds: { version: string; path: string }[];
  template: string;
}

const pick = <T>(xs: readonly T[], want: string | undefined, key: (x: T) => string, what: string, where: { file: string; line?: number; field: string }): T => {
  if (want === undefined) return xs[0]!;
  const x = xs.find((y) => key(y) === want);
  if (!x) throw new ConfigError('FUZZ_TARGET', `no ${what} ${want} in this suite (it has: ${xs.map(key).join(', ')})`, where);
  return x;
};

/**
 * The one image, agent build and seed contents a fuzz run takes from a suite, and the content
 * template beside the build. A missing template names the build's line.
 */
export async function fuzzTarget(s: LoadedSuite, images: readonly string[], c: FuzzChoice): Promise<FuzzTarget> {
  const file = s.file;
  const image = pick(images, c.image, (x) => x, 'image', { file, line: s.lineOf(['images']), field: '--image' });
  const { agent, path } = pick(suiteAgents(s.suite), c.agent, (x) => x.agent.name, 'agent', { file, line: s.lineOf(['agent']), field: '--agent' });
  const bi = c.build === undefined ? 0 : agent.builds.findIndex((b) => b.version === c.build);
  if (bi < 0) throw new ConfigError('FUZZ_TARGET', `agent ${agent.name} has no build ${c.build} (it has: ${agent.builds.map((b) => b.version).join(', ')})`, { file, line: s.lineOf([...path, 'builds']), field: '--build' });
  const build = agent.builds[bi]!;
  const seeds = (c.content?.length ? c.content : s.suite.content.map((x) => x.version)).map((v) => {
    const ct = s.suite.content.find((x) => x.version === v);
    if (!ct) throw new ConfigError('FUZZ_TARGET', `no content ${v} in this suite (it has: ${s.suite.content.map((x) => x.version).join(', ')})`, { file, line: s.lineOf(['content']), field: '--content' });
    return { version: v, path: s.resolvePath(ct.path) };
  });
  let template = c.template;
  if (template === undefined) {
    if (build.source === undefined) throw new ConfigError('FUZZ_TEMPLATE', `build ${build.version} has no source folder to hold a ${TEMPLATE_FILE}: give one with --template FILE`, { file, line: s.lineOf([...path, 'builds', bi]), field: '--template' });
    template = join(s.resolvePath(build.source), TEMPLATE_FILE);
    if (!(await pathExists(template))) {
      throw new ConfigError('FUZZ_TEMPLATE', `build ${build.version}: no content template at ${template} (declare the shape of the agent's content there, see docs/fuzzing.md, or give --template FILE)`, { file, line: s.lineOf([...path, 'builds', bi, 'source']), field: `builds[${bi}].source` });
    }
  }
  return { image, agent: agent.name, kind: agent.kind, build: build.version, seeds, template };
}
