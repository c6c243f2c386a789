import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import type { LoadedSuite } from '../config/suite.js';
import type { Provider } from '../providers/provider.js';
import type { FuzzCrash } from '../results/fuzz-schema.js';
import { runSuite } from './run-suite.js';

export interface ConfirmOptions {
  suite: LoadedSuite;
  agent: string;
  build: string;
  image: string;
  /** The minimized content (absolute). */
  content: string;
  /** A version name for it (file-name safe). */
  version: string;
  corpusDir: string;
  cacheDir: string;
  root: string;
  provider?: Provider;
  signal: AbortSignal;
}

/**
 * The suite a confirmation runs: the fuzzed suite narrowed to one image, agent and build, the
 * minimized content as its only content, no shared baseline, and as many agent boots as make a
 * boot loop. Written from the suite's own YAML (its input form), every path made absolute.
 */
export function confirmSuite(raw: Record<string, unknown>, s: LoadedSuite, o: Pick<ConfirmOptions, 'agent' | 'build' | 'image' | 'content' | 'version'>): Record<string, unknown> {
  const agents = (raw.agents as Record<string, unknown>[] | undefined) ?? [raw.agent as Record<string, unknown>];
  const agent = { ...agents.find((a) => a.name === o.agent)! };
  const build = { ...(agent.builds as Record<string, unknown>[]).find((b) => String(b.version) === o.build)! };
  if (typeof build.source === 'string') build.source = s.resolvePath(build.source);
  agent.builds = [build];
  const boot = { ...((raw.boot as Record<string, unknown> | undefined) ?? {}) };
  boot.cycles = s.suite.boot.bootLoop;
  boot.sharedBaseline = false;
  boot.retries = 0;
  const keep = ['description', 'gate'];
  return {
    name: `${s.suite.name}-fuzz-confirm`,
    ...Object.fromEntries(keep.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]])),
    images: [o.image],
    agent,
    content: [{ version: o.version, path: o.content }],
    boot,
    allowOutside: true,
  };
}

/**
 * A crash found by content loads, confirmed the way a customer's machine would meet it: the
 * minimized content installed with the build, and the guest booted by the ordinary runner (its
 * run folder, run.json and gate.json under the corpus's confirm/). A boot loop: every agent boot
 * crashed, as many as the suite's boot-loop count.
 */
export async function confirmCrash(o: ConfirmOptions): Promise<NonNullable<FuzzCrash['confirm']>> {
  const raw = parse(await readFile(o.suite.file, 'utf8')) as Record<string, unknown>;
  const dir = join(o.corpusDir, 'confirm');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${o.version}.suite.yaml`);
  // JSON is YAML: the loader reads it with its lines, and nothing is lost in a round trip.
  await writeFile(file, JSON.stringify(confirmSuite(raw, o.suite, o), null, 2) + '\n');
  const r = await runSuite({ suiteFile: file, resultsDir: dir, cacheDir: o.cacheDir, root: o.root, provider: o.provider, concurrency: 1, sharedBaselines: false, emit: () => {}, signal: o.signal });
  const cell = r.run.cells[0];
  const boots = (cell?.cycles ?? []).filter((c) => c.phase === 'agent');
  const crashed = boots.filter((c) => c.outcome === 'crash');
  return {
    run: relative(o.corpusDir, r.runDir),
    verdict: r.gate.verdict,
    bootLoop: boots.length > 0 && crashed.length === boots.length && (cell?.bootLoop ?? false),
    boots: boots.length,
    crashedBoots: crashed.length,
    ...(crashed[0]?.crash ? { signature: crashed[0].crash.signature } : {}),
  };
}
