import type { GateResult } from '../results/gate-schema.js';
import type { CellResult, CycleResult, RunResult } from '../results/schema.js';
import { runVerdictOf, spanMs, verdictOf } from './model.js';

/**
 * A stored run as KernelCI's KCIDB data (I/O schema 4.5, kernelci/kcidb-io), for dashboards that
 * read kernel test results in that form. What is what:
 * - checkout: the run (KCIDB's root object; bootgate checks out no kernel source, so the run,
 *   with its suite, stands for "what was submitted for testing");
 * - build: each image's kernel, once per run (the kernel under test, as a KernelCI dashboard
 *   groups results by kernel); the agent build and content are axes of the tests on it (in the
 *   test's comment and misc), not builds: they are not kernels;
 * - test: each cell (path `bootgate.<agent>`, the judge's verdict), each of its boots
 *   (`bootgate.<agent>.baseline`, `bootgate.<agent>.boot`) and lifecycle steps
 *   (`bootgate.<agent>.install`, `...update-content` and so on);
 * - issue: each distinct crash signature (id `<origin>:<signature>`, the same issue in every run);
 *   incident: each boot that crashed with it.
 * Pure: the same run, gate and options give the same data.
 */

export const KCIDB_VERSION = { major: 4, minor: 5 } as const;
/** An origin names the CI system that submits: KCIDB's pattern for it. */
export const KCIDB_ORIGIN = /^[a-z0-9_]+$/;
/** KCIDB's limit on log excerpts (characters). */
const EXCERPT_MAX = 16384;

export type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';
type Misc = Record<string, unknown>;

export interface KcidbCheckout {
  id: string;
  origin: string;
  comment: string;
  start_time: string;
  valid: boolean;
  misc: Misc;
}
export interface KcidbBuild {
  id: string;
  checkout_id: string;
  origin: string;
  comment: string;
  config_name: string;
  architecture?: string;
  valid: boolean;
  misc: Misc;
}
export interface KcidbTest {
  id: string;
  build_id: string;
  origin: string;
  path: string;
  status: KcidbStatus;
  comment: string;
  start_time?: string;
  duration?: number;
  log_url?: string;
  log_excerpt?: string;
  number?: { value: number; unit: string };
  environment: { comment: string; misc: Misc };
  misc: Misc;
}
export interface KcidbIssue {
  id: string;
  version: number;
  origin: string;
  comment: string;
  culprit: { code: boolean; tool: boolean; harness: boolean };
  misc: Misc;
}
export interface KcidbIncident {
  id: string;
  origin: string;
  issue_id: string;
  issue_version: number;
  test_id: string;
  present: boolean;
  comment: string;
}
export interface KcidbData {
  version: { major: number; minor: number };
  checkouts: KcidbCheckout[];
  builds: KcidbBuild[];
  tests: KcidbTest[];
  issues: KcidbIssue[];
  incidents: KcidbIncident[];
}

export interface KcidbOptions {
  /** The CI system's name in KCIDB ids: [a-z0-9_]+ (the caller checks it). */
  origin: string;
  /** The gate's decision on the run (gate.json): cell verdicts as the gate gave them. */
  gate?: GateResult;
  /** Where the run folder is published (an absolute URL): boots get log_url to their console logs. */
  logBase?: string;
}

/** The issue version every issue is written with: bootgate never revises an issue. */
const ISSUE_VERSION = 1;

/** KCIDB test paths are dot-separated words of [a-zA-Z0-9_-]: an agent name, kept readable. */
const pathWord = (s: string) => s.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';

/** Debian kernel releases end in their architecture (6.1.0-56-amd64, 6.12.57+deb13-cloud-arm64). */
function architectureOf(release?: string): string | undefined {
  const m = /-(amd64|arm64|i386|686(?:-pae)?|armmp(?:-lpae)?|ppc64el|s390x|riscv64)$/.exec(release ?? '');
  if (!m) return undefined;
  return { amd64: 'x86_64', arm64: 'arm64', i386: 'i386', '686': 'i386', '686-pae': 'i386', armmp: 'arm', 'armmp-lpae': 'arm', ppc64el: 'powerpc', s390x: 's390', riscv64: 'riscv' }[m[1]!];
}

/** At most KCIDB's excerpt length, cut on a character, never inside a surrogate pair. */
const excerpt = (s: string) => (s.length <= EXCERPT_MAX ? s : [...s].slice(0, EXCERPT_MAX).join(''));

/**
 * A cell as KCIDB says it: pass and fail as judged; a cell the lab could not answer is ERROR once
 * the agent booted (the test did not complete), MISS before (it did not run); a cell the run never
 * finished is MISS, so an interrupted run never reads as passed (SKIP would rank below PASS).
 */
function cellStatus(cell: CellResult, gate?: GateResult): KcidbStatus {
  const v = verdictOf(cell, gate);
  if (v === 'pass') return 'PASS';
  if (v === 'fail') return 'FAIL';
  return cell.cycles.length ? 'ERROR' : 'MISS';
}

/** A boot: up and healthy PASS; crash, timeout or an unhealthy agent FAIL; the lab's failure MISS (no boot happened). */
function bootStatus(c: CycleResult): KcidbStatus {
  if (c.outcome === 'ready') return 'PASS';
  if (c.outcome === 'lab-error') return 'MISS';
  return 'FAIL';
}

export function kcidbFromRun(run: RunResult, o: KcidbOptions): KcidbData {
  const { origin } = o;
  const checkoutId = `${origin}:${run.id}`;
  const buildId = (image: string) => `${origin}:${run.id}/${image}`;
  const base = o.logBase === undefined ? undefined : o.logBase.endsWith('/') ? o.logBase : `${o.logBase}/`;
  // Each segment encoded, so a console log path is never a scheme or a query; one that climbs
  // (`..`, which URLs resolve even encoded as %2E%2E) gets no link at all.
  const logUrl = (rel: string) => {
    const parts = rel.split('/').filter((p) => p && p !== '.');
    if (!base || parts.includes('..')) return undefined;
    const href = new URL(parts.map(encodeURIComponent).join('/'), base).href;
    return href.startsWith(base) ? href : undefined;
  };
  const environment = {
    comment: `${run.host.provider} (${run.host.accel}) on ${run.host.hostname}`,
    misc: { hostname: run.host.hostname, platform: run.host.platform, cpus: run.host.cpus, memory_mib: run.host.memoryMiB, provider: run.host.provider, accel: run.host.accel, ...(run.versions.qemu ? { qemu: run.versions.qemu } : {}) },
  };

  const checkouts: KcidbCheckout[] = [
    {
      id: checkoutId,
      origin,
      comment: `bootgate run ${run.id} of suite ${run.suite.name}`,
      start_time: run.startedAt,
      valid: true,
      misc: { suite: run.suite.name, suite_file: run.suite.file, suite_sha256: run.suite.sha256, status: run.status, verdict: runVerdictOf(run, o.gate).verdict, bootgate: run.versions.bootgate },
    },
  ];

  const builds: KcidbBuild[] = [];
  for (const c of run.cells) {
    if (builds.some((b) => b.id === buildId(c.image.name))) continue;
    const arch = architectureOf(c.image.kernelRelease);
    builds.push({
      id: buildId(c.image.name),
      checkout_id: checkoutId,
      origin,
      comment: `${c.image.name}: kernel ${c.image.kernelRelease ?? 'release unknown'}`,
      config_name: c.image.name,
      ...(arch ? { architecture: arch } : {}),
      valid: true,
      misc: { image: c.image.name, ...(c.image.kernelRelease ? { kernel_release: c.image.kernelRelease } : {}), ...(c.image.recipeHash ? { recipe_hash: c.image.recipeHash } : {}) },
    });
  }

  const tests: KcidbTest[] = [];
  const issues = new Map<string, KcidbIssue>();
  const incidents: KcidbIncident[] = [];
  for (const cell of run.cells) {
    const cellId = `${origin}:${run.id}/${cell.id}`;
    const path = `bootgate.${pathWord(cell.agent.name)}`;
    const what = `${cell.agent.name} ${cell.agent.build}, content ${cell.content.version}`;
    const axes = { cell: cell.id, agent: cell.agent.name, kind: cell.agent.kind, build: cell.agent.build, ...(cell.agent.artifact ? { artifact: cell.agent.artifact } : {}), content: cell.content.version, ...(cell.content.sha256 ? { content_sha256: cell.content.sha256 } : {}) };
    const base = { build_id: buildId(cell.image.name), origin, environment };
    const span = spanMs(cell.startedAt, cell.endedAt);
    const verdict = verdictOf(cell, o.gate);
    const reason = o.gate?.cells.find((g) => g.id === cell.id)?.reason ?? cell.reason;
    tests.push({
      id: cellId,
      ...base,
      path,
      status: cellStatus(cell, o.gate),
      comment: `${what}: ${verdict}${reason ? `: ${reason}` : ''}`,
      ...(cell.startedAt ? { start_time: cell.startedAt } : {}),
      ...(span !== undefined ? { duration: span / 1000 } : {}),
      misc: { ...axes, verdict, ...(reason ? { reason } : {}), ...(cell.bootLoop ? { boot_loop: true } : {}), ...(cell.stopped ? { stopped: cell.stopped } : {}) },
    });

    const steps = cell.steps ?? (cell.install ? [{ index: 1, action: 'install', ok: cell.install.ok, ms: cell.install.ms, error: cell.install.error, version: undefined }] : []);
    for (const s of steps) {
      tests.push({
        id: cell.steps ? `${cellId}/step-${s.index}-${s.action}` : `${cellId}/install`,
        ...base,
        path: `${path}.${pathWord(s.action)}`,
        // The judge counts a failed step as the lab's (inconclusive): the step did not complete.
        status: s.ok ? 'PASS' : 'ERROR',
        comment: `${what}: ${s.action}${s.version ? ` ${s.version}` : ''} ${s.ok ? 'done' : `failed: ${s.error ?? 'unknown'}`}`,
        duration: s.ms / 1000,
        ...(s.error ? { log_excerpt: excerpt(s.error) } : {}),
        misc: { ...axes, step: s.index, action: s.action, ...(s.version ? { version: s.version } : {}) },
      });
    }

    for (const c of [...cell.baseline, ...cell.cycles]) {
      const testId = `${cellId}/${c.phase}-${c.index}`;
      const url = logUrl(c.consoleLog);
      const why = c.crash?.excerpt ?? c.crash?.title ?? (c.outcome === 'unhealthy' ? c.health?.output : undefined) ?? c.error;
      const took = c.readyMs ?? c.bootMs;
      tests.push({
        id: testId,
        ...base,
        path: `${path}.${c.phase === 'baseline' ? 'baseline' : 'boot'}`,
        status: bootStatus(c),
        comment: `${what}: ${c.phase} boot ${c.index} (${c.kind}): ${c.outcome}${c.crash ? `: ${c.crash.title}` : ''}`,
        start_time: c.startedAt,
        ...(took !== undefined ? { duration: took / 1000 } : {}),
        ...(url ? { log_url: url } : {}),
        ...(why ? { log_excerpt: excerpt(why) } : {}),
        ...(c.readyMs !== undefined ? { number: { value: c.readyMs / 1000, unit: 's' } } : {}),
        misc: {
          ...axes,
          phase: c.phase,
          cycle: c.index,
          kind: c.kind,
          outcome: c.outcome,
          booted: c.booted,
          console_log: c.consoleLog,
          // A shared baseline's boot stands in every cell of its image: the same boot, one id.
          ...(c.phase === 'baseline' && cell.baselineFrom ? { shared_baseline: cell.baselineFrom.id } : {}),
          ...(c.step !== undefined ? { step: c.step } : {}),
          ...(c.bootMs !== undefined ? { boot_ms: c.bootMs } : {}),
          ...(c.readyMs !== undefined ? { ready_ms: c.readyMs } : {}),
          ...(c.error ? { error: c.error } : {}),
          ...(c.crash ? { crash_signature: c.crash.signature } : {}),
        },
      });
      if (!c.crash) continue;
      const k = c.crash;
      const issueId = `${origin}:${k.signature}`;
      if (!issues.has(issueId)) {
        issues.set(issueId, {
          id: issueId,
          version: ISSUE_VERSION,
          origin,
          comment: k.title,
          // A crash is the tested code's (kernel or agent); the lab's failures carry no crash record.
          culprit: { code: true, tool: false, harness: false },
          misc: Object.fromEntries(Object.entries({ signature: k.signature, class: k.class, os: k.os, source: k.source, module: k.module, function: k.function, tainted: k.tainted, code: k.code, name: k.name }).filter(([, v]) => v !== undefined)),
        });
      }
      incidents.push({ id: `${testId}/crash`, origin, issue_id: issueId, issue_version: ISSUE_VERSION, test_id: testId, present: true, comment: k.title });
    }
  }

  return { version: { ...KCIDB_VERSION }, checkouts, builds, tests, issues: [...issues.values()], incidents };
}
