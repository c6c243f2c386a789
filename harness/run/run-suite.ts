import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { AgentDriver, ContentArtifact, PreparedBuild } from '../agents/agent.js';
import { KmodAgent } from '../agents/linux-kmod/kmod-agent.js';
import { EbpfAgent } from '../agents/linux-ebpf/ebpf-agent.js';
import { expandMatrix } from '../config/matrix.js';
import { loadSuite, type LoadedSuite } from '../config/suite.js';
import { suiteAgents, type Agent } from '../config/suite-schema.js';
import { ensureLabKey } from '../guest/lab-keys.js';
import { ImageCatalog, type BuiltImage } from '../images/catalog.js';
import { selectImages } from '../images/select.js';
import { QemuProvider } from '../providers/qemu/qemu-provider.js';
import type { Provider } from '../providers/provider.js';
import { finishRun } from '../report/finish-run.js';
import type { Reporter } from '../report/reporter.js';
import { RunStore } from '../results/run-store.js';
import type { CellResult, RunResult } from '../results/schema.js';
import { CellRunner } from './cell-runner.js';
import type { RunEventSink } from './events.js';
import { runPool } from './pool.js';
import { buildWorkload } from '../measure/workload.js';
import { ConfigError } from '../util/errors.js';
import { execCapture } from '../util/exec.js';
import { sha256File } from '../util/fsutil.js';
import { bootgateVersion } from '../util/version.js';

export interface RunSuiteOptions {
  suiteFile: string;
  resultsDir: string;
  cacheDir: string;
  root: string;
  provider?: Provider;
  concurrency?: number;
  emit: RunEventSink;
  signal: AbortSignal;
  /** Their onEnd runs when the run ends, after gate.json is written. */
  reporters?: Reporter[];
}

const buildKey = (agent: string, version: string, image: string) => `${agent}/${version}@${image}`;

function runId(suite: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${suite}-${t}-${randomBytes(2).toString('hex')}`;
}

function agentFor(s: LoadedSuite, a: Agent, path: (string | number)[], cacheDir: string): AgentDriver {
  if (a.kind === 'linux-kmod') return new KmodAgent({ name: a.name, module: a.module, health: a.health, contentParam: a.contentParam, cacheDir });
  if (a.kind === 'linux-ebpf') return new EbpfAgent({ name: a.name, health: a.health, cacheDir });
  const field = [...path, 'kind'].join('.').replace(/\.(\d+)/g, '[$1]');
  throw new ConfigError('AGENT_KIND_UNSUPPORTED', `agent kind ${a.kind} is not supported by the cell runner yet`, { file: s.file, line: s.lineOf([...path, 'kind']), field });
}

/** Check names, build images and agent builds: all before the first VM starts. */
async function prepare(o: RunSuiteOptions, s: LoadedSuite) {
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
  const progress = (m: string) => o.emit({ type: 'prepare', message: m });
  const images = new Map<string, BuiltImage>();
  for (const name of names) {
    const e = known.get(name)!;
    if (!e.manifest) progress(`building image ${name} (once; cached after)`);
    images.set(name, await catalog.ensure(name, (step) => progress(`image ${name}: ${step}`), o.signal));
  }
  const agents = new Map<string, AgentDriver>();
  const builds = new Map<string, PreparedBuild>();
  for (const { agent: a, path } of suiteAgents(s.suite)) {
  const agent = agentFor(s, a, path, o.cacheDir);
  agents.set(a.name, agent);
  for (const [bi, b] of a.builds.entries()) {
    for (const img of images.values()) {
      const key = buildKey(a.name, b.version, img.recipe.recipe.name);
      const m = img.manifest;
      const guest = { os: img.recipe.recipe.os, kernelRelease: m.kernelRelease, kernelPackage: m.kernelPackage, kernelPackageVersion: m.kernelPackage ? m.packages[m.kernelPackage] : undefined };
      try {
        builds.set(key, await agent.prepare({ version: b.version, ...(b.source !== undefined ? { source: s.resolvePath(b.source) } : {}), ...(b.inTree ? { inTree: true } : {}), guest, ...(b.make ? { make: b.make } : {}), signal: o.signal, progress }));
      } catch (e) {
        // A build that cannot be made for this image is the suite's build entry at fault: point at it.
        if (!(e instanceof ConfigError) || e.line !== undefined) throw e;
        const field = [...path, 'builds', bi].join('.').replace(/\.(\d+)/g, '[$1]');
        throw new ConfigError(e.code, `${img.recipe.recipe.name}: ${e.message}`, { file: s.file, line: s.lineOf([...path, 'builds', bi]), field }, { cause: e });
      }
    }
  }
  }
  const contents = new Map<string, ContentArtifact>();
  for (const c of s.suite.content) {
    const path = s.resolvePath(c.path);
    contents.set(c.version, { version: c.version, path, sha256: await sha256File(path) });
  }
  const workloadBinary = s.suite.workloads ? await buildWorkload({ cacheDir: o.cacheDir, signal: o.signal }) : undefined;
  return { names, images, agents, builds, contents, workloadBinary };
}

function artifactOf(b: PreparedBuild | undefined): { artifact?: string } {
  return b?.detail ? { artifact: b.detail.trim() } : {};
}

/** Run a suite end to end; resolves with the run folder and the exit code of the contract. */
export async function runSuite(o: RunSuiteOptions): Promise<{ runDir: string; run: RunResult; exitCode: number }> {
  const s = await loadSuite(o.suiteFile);
  const provider = o.provider ?? new QemuProvider();
  const prepared = await prepare(o, s);
  const labKey = await ensureLabKey(join(o.cacheDir, 'lab'));
  const plans = expandMatrix(s.suite, prepared.names);
  const id = runId(s.suite.name);
  const runDir = join(o.resultsDir, id);
  const accel = await provider.describe();
  const qemuVersion = (await execCapture('qemu-system-x86_64', ['--version']).catch(() => ({ stdout: '' }))).stdout.split('\n')[0];

  const cells: CellResult[] = plans.map((p) => {
    const img = prepared.images.get(p.image)!;
    return {
      id: p.id,
      image: { name: p.image, kernelRelease: img.manifest.kernelRelease, recipeHash: img.manifest.recipeHash },
      agent: { name: p.agent, kind: prepared.agents.get(p.agent)!.kind, build: p.build.version, ...artifactOf(prepared.builds.get(buildKey(p.agent, p.build.version, p.image))) },
      content: { version: p.content.version, sha256: prepared.contents.get(p.content.version)!.sha256 },
      status: 'pending',
      baseline: [],
      cycles: [],
    };
  });
  const store = new RunStore(runDir, {
    schema: 'bootgate.run/v1',
    id,
    status: 'running',
    suite: { name: s.suite.name, file: relative(o.root, s.file) || s.file, sha256: s.sha256 },
    host: { hostname: hostname(), platform: `${process.platform}-${process.arch}`, cpus: cpus().length, memoryMiB: Math.round(totalmem() / 2 ** 20), provider: provider.name, accel },
    versions: { bootgate: bootgateVersion(), node: process.version, qemu: qemuVersion || undefined },
    startedAt: new Date().toISOString(),
    summary: { cells: cells.length, pass: 0, fail: 0, error: 0, pending: cells.length },
    cells,
    crashes: [],
    gate: s.suite.gate,
  });
  await store.init();
  const bootsPerCell = s.suite.boot.baseline + s.suite.boot.cycles * (s.suite.lifecycle?.length ?? 1);
  o.emit({ type: 'run-start', runId: id, runDir, cells: cells.length, accel, bootsPerCell });

  const limit = o.concurrency ?? s.suite.concurrency ?? Math.max(1, availableParallelism());
  await runPool(
    plans,
    limit,
    async (plan) => {
      await new CellRunner({
        runDir,
        plan,
        suite: s,
        image: prepared.images.get(plan.image)!,
        provider,
        agent: prepared.agents.get(plan.agent)!,
        build: prepared.builds.get(buildKey(plan.agent, plan.build.version, plan.image))!,
        content: prepared.contents.get(plan.content.version)!,
        builds: new Map(suiteAgents(s.suite).find((x) => x.agent.name === plan.agent)!.agent.builds.map((b) => [b.version, prepared.builds.get(buildKey(plan.agent, b.version, plan.image))!])),
        contents: prepared.contents,
        workloadBinary: prepared.workloadBinary,
        labKey,
        store,
        emit: o.emit,
        signal: o.signal,
      }).run();
    },
    o.signal,
  );
  await store.update((r) => {
    r.status = o.signal.aborted ? 'interrupted' : 'finished';
    r.endedAt = new Date().toISOString();
  });
  const run = store.current;
  // gate.json with the suite's policy, then the reporters' files; the run's exit code is the gate's.
  const { gate, exitCode } = await finishRun({ run, runDir, policy: s.suite.gate, reporters: o.reporters ?? [] });
  o.emit({ type: 'run-end', runDir, verdict: gate.verdict, exitCode });
  return { runDir, run, exitCode };
}
