import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadSuite } from '../config/suite.js';
import { ddmin } from '../fuzz/ddmin.js';
import { applyEdits, contentBytes, contentText, type Edit } from '../fuzz/edits.js';
import { lineDiff } from '../fuzz/line-diff.js';
import { makeMutant, type Mutant, type Seed } from '../fuzz/mutant.js';
import { loadContentTemplate } from '../fuzz/template-file.js';
import type { ContentTemplate } from '../fuzz/template-schema.js';
import { judgeFuzz } from '../gate/fuzz-verdict.js';
import { ensureLabKey } from '../guest/lab-keys.js';
import { guestOsFor } from '../guest/registry.js';
import type { Provider } from '../providers/provider.js';
import { createProvider } from '../providers/registry.js';
import type { CrashRecord } from '../results/crash-record.js';
import { FUZZ_FILE, loadFuzz, writeFuzz } from '../results/fuzz-files.js';
import type { FuzzCrash, FuzzResult } from '../results/fuzz-schema.js';
import { ConfigError } from '../util/errors.js';
import { pathExists, sha256File } from '../util/fsutil.js';
import { confirmCrash } from './fuzz-confirm.js';
import { FuzzGuest } from './fuzz-guest.js';
import { fuzzTarget, type FuzzChoice } from './fuzz-target.js';
import { SCRATCH_PREFIX, writeOwner } from './leftovers.js';
import { buildKey, prepareSuite, suiteImageNames } from './prepare.js';
import { runId } from './run-suite.js';

export interface FuzzOptions extends FuzzChoice {
  suiteFile: string;
  /** The corpus folder: a new one under resultsDir when absent; one holding fuzz.json is resumed. */
  corpusDir?: string;
  resultsDir: string;
  cacheDir: string;
  root: string;
  /** The PRNG seed; a resumed corpus keeps its own. Default: from the clock. */
  seedValue?: number;
  /** Stop after this many mutants in all (a resumed corpus counts its earlier ones). */
  mutants?: number;
  /** Stop after this long of fuzzing in this session. */
  budgetMs?: number;
  /** Stop at the first crash (after minimizing it): for time-to-first-crash figures. */
  untilCrash?: boolean;
  /** Boot the minimized content of each new crash (default true). */
  confirm?: boolean;
  /** Content loads the minimizer may spend per crash. */
  minimizeProbes?: number;
  provider?: Provider;
  progress: (line: string) => void;
  signal: AbortSignal;
}

export interface FuzzRun {
  dir: string;
  result: FuzzResult;
  exitCode: number;
}

/** Without --mutants or --budget, a run of this many mutants. */
export const DEFAULT_MUTANTS = 200;
const SAVE_EVERY = 25;
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));
const sha = async (p: string) => sha256File(p);

/**
 * `bootgate fuzz`: mutants of the seed contents, guided by the agent's content template, each run
 * through the agent's real interpreter in one guest that is restored after every crash. Every
 * distinct crash is minimized (ddmin over the mutant's edits, each probe a content load), kept as
 * a file with its record and its diff from the seed, and confirmed by booting it (the runner).
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzRun> {
  const s = await loadSuite(o.suiteFile);
  const { names, catalog } = await suiteImageNames({ root: o.root, cacheDir: o.cacheDir }, s);
  const target = await fuzzTarget(s, names, o);
  const template = await loadContentTemplate(target.template);
  const seeds: Seed[] = await Promise.all(target.seeds.map(async (x) => ({ version: x.version, text: contentText(await readFile(x.path)) })));
  const seedInfo = await Promise.all(target.seeds.map(async (x) => ({ ...x, sha256: await sha(x.path) })));
  const dir = resolve(o.corpusDir ?? join(o.resultsDir, runId(`${s.suite.name}-fuzz`)));
  const fresh: FuzzResult = {
    schema: 'bootgate.fuzz/v1',
    id: basename(dir),
    status: 'running',
    suite: { name: s.suite.name, file: s.file, sha256: s.sha256 },
    image: target.image,
    agent: { name: target.agent, kind: target.kind, build: target.build },
    template: { file: target.template, sha256: await sha(target.template) },
    seeds: seedInfo,
    seedValue: o.seedValue ?? Date.now() % 2 ** 31,
    budget: { ...(o.mutants !== undefined ? { mutants: o.mutants } : {}), ...(o.budgetMs !== undefined ? { seconds: o.budgetMs / 1000 } : {}) },
    startedAt: new Date().toISOString(),
    stats: { mutants: 0, accepted: 0, refused: 0, crashed: 0, distinctCrashes: 0, restores: 0, loadSeconds: 0, mutantsPerMinute: 0 },
    mutators: {},
    crashes: [],
  };
  const r = (await pathExists(join(dir, FUZZ_FILE))) ? resumeFrom(await loadFuzz(dir), fresh, o, dir) : fresh;
  if (o.mutants === undefined && o.budgetMs === undefined && r.budget.mutants === undefined) r.budget.mutants = DEFAULT_MUTANTS;
  if (o.mutants !== undefined) r.budget.mutants = o.mutants;
  await mkdir(dir, { recursive: true });
  await writeFuzz(dir, r);
  o.progress(`fuzz ${target.agent} ${target.build} on ${target.image} from content ${target.seeds.map((x) => x.version).join(', ')}, seed value ${r.seedValue}: ${dir}`);

  const workDir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${basename(dir)}-`));
  await writeOwner(workDir);
  let guest: FuzzGuest | undefined;
  const fresh0 = r.crashes.length;
  try {
    const prepared = await prepareSuite({ root: o.root, cacheDir: o.cacheDir, signal: o.signal, progress: o.progress }, s, [target.image], catalog);
    const image = prepared.images.get(target.image)!;
    const provider = o.provider ?? createProvider()!;
    guest = new FuzzGuest({
      dir,
      workDir,
      image,
      provider,
      guest: guestOsFor(image.recipe.recipe.os),
      boot: s.suite.boot,
      labKey: await ensureLabKey(join(o.cacheDir, 'lab')),
      agent: prepared.agents.get(target.agent)!,
      build: prepared.builds.get(buildKey(target.agent, target.build, target.image))!,
      seed: prepared.contents.get(target.seeds[0]!.version)!,
      signal: o.signal,
    });
    o.progress('booting the fuzz guest (once): install, load the seed, save');
    await guest.start();
    r.stats.bootSeconds = guest.bootMs / 1000;
    o.progress(`guest ready and saved after ${(guest.bootMs / 1000).toFixed(1)} s; fuzzing`);
    await fuzzLoop(r, { o, guest, seeds, template, dir });
    r.status = o.signal.aborted ? 'interrupted' : 'finished';
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (o.signal.aborted) r.status = 'interrupted';
    else {
      r.status = 'error';
      r.error = errMsg(e);
    }
  } finally {
    if (guest) r.stats.restores += guest.restores;
    await guest?.dispose().catch(() => {});
    await rm(workDir, { recursive: true, force: true });
  }
  if (o.confirm !== false && !o.signal.aborted && r.status !== 'error') {
    for (const c of r.crashes.slice(fresh0)) {
      if (!c.minimized || c.confirm) continue;
      o.progress(`confirming ${c.crash.title}: the minimized content installed, booted ${s.suite.boot.bootLoop} times`);
      try {
        c.confirm = await confirmCrash({ suite: s, agent: target.agent, build: target.build, image: target.image, content: join(dir, c.minimized.content), version: `fuzz-${c.signature.slice(0, 12)}`, corpusDir: dir, cacheDir: o.cacheDir, root: o.root, provider: o.provider, signal: o.signal });
        o.progress(`  ${c.confirm.bootLoop ? 'boot loop confirmed' : `not a boot loop: ${c.confirm.crashedBoots}/${c.confirm.boots} boots crashed`} (${c.confirm.run})`);
      } catch (e) {
        if (o.signal.aborted) break;
        o.progress(`  confirmation failed: ${errMsg(e)}`);
      }
      await writeFuzz(dir, r);
    }
  }
  if (o.signal.aborted && r.status === 'finished') r.status = 'interrupted';
  r.endedAt = new Date().toISOString();
  const v = judgeFuzz(r, s.suite.gate.maxCrashes);
  r.gate = { verdict: v.verdict, exitCode: v.exitCode, maxCrashes: v.maxCrashes, reasons: v.reasons };
  await writeFuzz(dir, r);
  return { dir, result: r, exitCode: v.exitCode };
}

/** A corpus folder taken up again: the same suite parts, template and seeds, so its mutants go on where they stopped. */
function resumeFrom(prev: FuzzResult, fresh: FuzzResult, o: FuzzOptions, dir: string): FuzzResult {
  const file = join(dir, FUZZ_FILE);
  const differs = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new ConfigError('FUZZ_RESUME', `this corpus was fuzzed with another ${what}: start a new corpus, or fuzz as it was`, { file, field: what });
  };
  differs('image', prev.image, fresh.image);
  differs('agent', prev.agent, fresh.agent);
  differs('template', prev.template.sha256, fresh.template.sha256);
  differs('seeds', prev.seeds.map((x) => x.sha256), fresh.seeds.map((x) => x.sha256));
  if (o.seedValue !== undefined) differs('seedValue', prev.seedValue, o.seedValue);
  const { endedAt: _e, gate: _g, error: _r, ...rest } = prev;
  return { ...rest, status: 'running', budget: { ...prev.budget, ...fresh.budget } };
}

interface LoopContext {
  o: FuzzOptions;
  guest: FuzzGuest;
  seeds: Seed[];
  template: ContentTemplate;
  dir: string;
}

async function fuzzLoop(r: FuzzResult, x: LoopContext): Promise<void> {
  const { o, guest } = x;
  const t0 = Date.now();
  const st = r.stats;
  const more = () => !o.signal.aborted && !(o.untilCrash && st.crashed > 0) && (r.budget.mutants === undefined || st.mutants < r.budget.mutants) && (o.budgetMs === undefined || Date.now() - t0 < o.budgetMs);
  while (more()) {
    const m = makeMutant(x.seeds, x.template, r.seedValue, st.mutants);
    const p = await guest.probe(contentBytes(m.text));
    st.mutants++;
    st.loadSeconds += p.ms / 1000;
    for (const name of new Set(m.mutators)) (r.mutators[name] ??= { used: 0, crashed: 0 }).used++;
    if (p.outcome === 'accepted') st.accepted++;
    else if (p.outcome === 'refused') st.refused++;
    else {
      st.crashed++;
      st.firstCrash ??= { mutants: st.mutants, seconds: Math.round(st.loadSeconds * 10) / 10 };
      for (const name of new Set(m.mutators)) r.mutators[name]!.crashed++;
      await onCrash(r, x, m, p.crash!);
      await writeFuzz(x.dir, r);
    }
    st.mutantsPerMinute = Math.round((st.mutants / Math.max(st.loadSeconds, 1e-3)) * 60 * 10) / 10;
    if (st.mutants % SAVE_EVERY === 0) {
      await writeFuzz(x.dir, r);
      o.progress(`[${fmt(Date.now() - t0)}] ${st.mutants} mutants (${st.mutantsPerMinute}/min): ${st.accepted} loaded, ${st.refused} refused, ${st.crashed} crashed, ${st.distinctCrashes} distinct`);
    }
  }
}

const fmt = (ms: number) => `${String(Math.floor(ms / 60_000)).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/** A crash: a new signature is minimized and kept as files; a known one only counts. */
async function onCrash(r: FuzzResult, x: LoopContext, m: Mutant, crash: CrashRecord): Promise<void> {
  const known = r.crashes.find((c) => c.signature === crash.signature);
  if (known) {
    known.hits++;
    return;
  }
  x.o.progress(`mutant ${m.index} (${m.mutators.join(', ')}): CRASH: ${crash.title}; minimizing`);
  const entry: FuzzCrash = { signature: crash.signature, crash, mutant: m.index, seed: m.seed, mutators: m.mutators, hits: 1 };
  r.crashes.push(entry);
  r.stats.distinctCrashes = r.crashes.length;
  const seed = x.seeds.find((s) => s.version === m.seed)!;
  const crashDir = join('crashes', crash.signature.slice(0, 16));
  await mkdir(join(x.dir, crashDir), { recursive: true });
  await writeFile(join(x.dir, crashDir, 'mutant.txt'), contentBytes(m.text));
  let edits: Edit[] = m.edits;
  let probes = 0;
  try {
    const min = await ddmin(m.edits, async (sub) => {
      const p = await x.guest.probe(contentBytes(applyEdits(seed.text, sub)));
      return p.outcome === 'crash' && p.crash!.signature === crash.signature;
    }, { maxProbes: x.o.minimizeProbes ?? 64 });
    edits = min.items;
    probes = min.probes;
  } catch (e) {
    if (!x.o.signal.aborted) throw e;
  }
  const text = applyEdits(seed.text, edits);
  const files = { content: join(crashDir, 'content.txt'), diff: join(crashDir, 'seed.diff'), record: join(crashDir, 'crash.json') };
  await writeFile(join(x.dir, files.content), contentBytes(text));
  await writeFile(join(x.dir, files.diff), contentBytes(lineDiff(seed.text, text, { from: `content ${seed.version}`, to: `${files.content} (minimized from mutant ${m.index})` })));
  await writeFile(join(x.dir, files.record), JSON.stringify({ crash, seed: seed.version, mutant: m.index, edits: m.edits, minimized: edits }, null, 2) + '\n');
  entry.minimized = { edits, probes, ...files };
  x.o.progress(`  minimized to ${edits.length} edit${edits.length === 1 ? '' : 's'} in ${probes} loads: ${edits.map((e) => e.why).join('; ')}`);
}
