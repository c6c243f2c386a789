import { availableParallelism } from 'node:os';
import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import { agentKind } from '../agents/registry.js';
import type { LoadedSuite } from '../config/suite.js';
import { suiteAgents } from '../config/suite-schema.js';
import { ImageCatalog, type BuiltImage } from '../images/catalog.js';
import { selectImages } from '../images/select.js';
import { buildWorkload } from '../measure/workload.js';
import { ConfigError } from '../util/errors.js';
import { sha256File } from '../util/fsutil.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** Promise.withResolvers, which Node 20 lacks. */
function withResolvers<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

export const buildKey = (agent: string, version: string, image: string) => `${agent}/${version}@${image}`;

export interface Prepared {
  /** The suite's images, by name, in the order the suite selects them. */
  names: string[];
  images: Map<string, BuiltImage>;
  agents: Map<string, AgentDriver>;
  /** Every build made for every image, by buildKey (with deferred builds: those made so far). */
  builds: Map<string, PreparedBuild>;
  /** One build, once it is made; rejects when it, or any build before it, failed. */
  buildOf(key: string): Promise<PreparedBuild>;
  /** Resolves when every build is made; rejects with the first failure (in the suite's order). */
  buildsDone: Promise<void>;
  contents: Map<string, ContentArtifact>;
  workloadBinary?: string;
}

const fieldOf = (path: (string | number)[]) => path.join('.').replace(/\.(\d+)/g, '[$1]');

/**
 * The images a suite selects from the catalog, in the suite's order, checked against its agents'
 * OS: all known before anything is built (`--list` stops here).
 */
export async function suiteImageNames(o: { root: string; cacheDir: string }, s: LoadedSuite): Promise<{ names: string[]; catalog: ImageCatalog }> {
  const catalog = new ImageCatalog(o.root, o.cacheDir);
  const entries = await catalog.list();
  const known = new Map(entries.map((e) => [e.loaded.recipe.name, e]));
  const names: string[] = [];
  for (const [i, sel] of s.suite.images.entries()) {
    const where = { file: s.file, line: s.lineOf(['images', i]), field: `images[${i}]` };
    let picked: string[];
    try {
      picked = selectImages(sel, entries.map((e) => e.loaded.recipe));
    } catch (e) {
      throw new ConfigError('IMAGE_SELECTOR', (e as Error).message, where);
    }
    if (picked.length === 0) {
      throw new ConfigError('UNKNOWN_IMAGE', `${sel === String(sel) && !/[*?/<>=,]/.test(sel) ? 'unknown image' : 'no image matches'} ${sel} (known: ${[...known.keys()].join(', ')}; see \`bootgate images list\`)`, where);
    }
    for (const n of picked) if (!names.includes(n)) names.push(n);
  }
  // An agent kind runs on one OS: said before any image is built.
  for (const { agent: a, path } of suiteAgents(s.suite)) {
    const kind = agentKind(a.kind)!;
    const other = names.find((n) => known.get(n)!.loaded.recipe.os !== kind.os);
    if (other) {
      const os = known.get(other)!.loaded.recipe.os;
      throw new ConfigError('AGENT_OS', `${other} is a ${os} image; a ${kind.kind} agent runs on ${kind.os} (split the suite, or narrow its images)`, { file: s.file, line: s.lineOf([...path, 'kind']), field: fieldOf([...path, 'kind']) });
    }
  }
  return { names, catalog };
}

/**
 * How many agent builds run at once: kbuild is one compiler process at a time per module, so
 * builds for several kernels keep several cores busy. BOOTGATE_BUILD_JOBS overrides.
 */
export function buildConcurrency(): number {
  const env = Number(process.env.BOOTGATE_BUILD_JOBS);
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Run every task, at most `limit` at once. After a failure no new task starts; the error thrown is
 * that of the earliest task in order that failed, so the same bad suite gives the same message.
 */
export async function runAll(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && errors.size === 0) {
      const i = next++;
      try {
        await tasks[i]!();
      } catch (e) {
        errors.set(i, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (errors.size) throw errors.get(Math.min(...errors.keys()));
}

/**
 * Build the images this run uses (`names`: the suite's, or the part a shard or --cells needs) and
 * every agent build for them (several at once): all before the first VM starts.
 */
export async function prepareSuite(
  o: {
    root: string;
    cacheDir: string;
    signal: AbortSignal;
    progress: (m: string) => void;
    buildConcurrency?: number;
    /** Return once the images are ready, with the builds still running: cells then wait on buildOf(). */
    deferBuilds?: boolean;
  },
  s: LoadedSuite,
  names: string[],
  catalog: ImageCatalog,
): Promise<Prepared> {
  const known = new Map((await catalog.list()).map((e) => [e.loaded.recipe.name, e]));
  const images = new Map<string, BuiltImage>();
  for (const name of names) {
    const e = known.get(name)!;
    if (!e.manifest) o.progress(`building image ${name} (once; cached after)`);
    images.set(name, await catalog.ensure(name, (step) => o.progress(`image ${name}: ${step}`), o.signal));
  }
  const agents = new Map<string, AgentDriver>();
  const builds = new Map<string, PreparedBuild>();
  const tasks: Array<() => Promise<void>> = [];
  const waiting = new Map<string, Deferred<PreparedBuild>>();
  for (const { agent: a, path } of suiteAgents(s.suite)) {
    const kind = agentKind(a.kind)!;
    const agent = kind.create({ name: a.name, module: a.module, health: a.health, contentParam: a.contentParam, safeModeParam: a.safeMode?.param, cacheDir: o.cacheDir });
    agents.set(a.name, agent);
    for (const [bi, b] of a.builds.entries()) {
      for (const img of images.values()) {
        const key = buildKey(a.name, b.version, img.recipe.recipe.name);
        const w = withResolvers<PreparedBuild>();
        // Failures are said through buildsDone; a build nobody waits on must not be an unhandled rejection.
        w.promise.catch(() => undefined);
        waiting.set(key, w);
        tasks.push(async () => {
          const where = { file: s.file, line: s.lineOf([...path, 'builds', bi]), field: fieldOf([...path, 'builds', bi]) };
          const m = img.manifest;
          const guest = { os: img.recipe.recipe.os, kernelRelease: m.kernelRelease, kernelPackage: m.kernelPackage, kernelPackageVersion: m.kernelPackage ? m.packages[m.kernelPackage] : undefined, aptSuite: img.recipe.recipe.suite, arch: img.recipe.recipe.arch };
          try {
            const built = await agent.prepare({ version: b.version, ...(b.source !== undefined ? { source: s.resolvePath(b.source) } : {}), ...(b.inTree ? { inTree: true } : {}), guest, ...(b.make ? { make: b.make } : {}), signal: o.signal, progress: o.progress });
            builds.set(key, built);
            w.resolve(built);
          } catch (e) {
            // A build that cannot be made for this image is the suite's build entry at fault: point at it.
            const err = !(e instanceof ConfigError) || e.line !== undefined ? e : new ConfigError(e.code, `${img.recipe.recipe.name}: ${e.message}`, where, { cause: e });
            w.reject(err);
            throw err;
          }
        });
      }
    }
  }
  const buildsDone = runAll(tasks, o.buildConcurrency ?? buildConcurrency());
  buildsDone.catch(() => undefined);
  if (!o.deferBuilds) await buildsDone;
  const buildOf = (key: string): Promise<PreparedBuild> => {
    const w = waiting.get(key);
    if (!w) return Promise.reject(new Error(`no build ${key} in this run`));
    // A failure elsewhere stops the builds not yet started: their waiters learn it from buildsDone.
    return Promise.race([w.promise, buildsDone.then(() => w.promise)]);
  };
  const contents = new Map<string, ContentArtifact>();
  for (const c of s.suite.content) {
    const path = s.resolvePath(c.path);
    contents.set(c.version, { version: c.version, path, sha256: await sha256File(path) });
  }
  const workloadBinary = s.suite.workloads ? await buildWorkload({ cacheDir: o.cacheDir, signal: o.signal }) : undefined;
  return { names, images, agents, builds, buildOf, buildsDone, contents, workloadBinary };
}
