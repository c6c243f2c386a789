/**
 * The kill-and-resume drill (`npm run drill:resume [-- POINTS]`, default 10): figures, not
 * assertions. Runs suites/quickstart.yaml once to learn how long it takes, then POINTS times:
 * starts it, kills the harness with SIGKILL at a random moment of that span, counts the QEMU
 * processes left after 5 s, resumes with `bootgate run --resume RUN`, and checks the result
 * against the uninterrupted run: every cell present once, with the same verdict, no finished
 * cell run twice (one `cell` line per cell in the journal), no boot counted twice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSchema, type RunResult } from '../harness/results/schema.js';
import { bootgateChild } from './bootgate-child.js';

const SUITE = 'suites/quickstart.yaml';
const points = Number(process.argv[2] ?? 10);

function vmCount(runId: string): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', `process=bootgate-${runId}`], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

const bootgate = bootgateChild;

const readRun = async (dir: string): Promise<RunResult> => runSchema.parse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
const key = (r: RunResult) => r.cells.map((c) => `${c.id}=${c.verdict}`).join(' ');

const results = await mkdtemp(join(tmpdir(), 'bootgate-drill-'));
const t0 = Date.now();
const ref = await bootgate(['run', SUITE, '--results', join(results, 'reference')]);
const span = Date.now() - t0;
const refRun = await readRun(join(ref.stdout.trim(), '..'));
console.log(`reference run: ${(span / 1000).toFixed(0)} s, exit ${ref.code}, ${key(refRun)}`);

let complete = 0;
let lost = 0;
let twice = 0;
let left = 0;
let killedAfterEnd = 0;
const rows: string[] = [];
// A kill drawn past the end of a run that went faster than the reference kills nothing: that
// point is drawn again (at most as many times as there are points), so that POINTS kills land.
for (let i = 1, draws = 0; i <= points; i++) {
  const at = Math.round(1000 + Math.random() * (span - 1000));
  const dir = join(results, `kill-${i}-${draws}`);
  const first = await bootgate(['run', SUITE, '--results', dir], at);
  const runId = (await readdir(dir).catch(() => [] as string[]))[0];
  if (first.signal !== 'SIGKILL') {
    killedAfterEnd++;
    if (draws++ < points) {
      i--;
      continue;
    }
  }
  await new Promise((r) => setTimeout(r, 5000));
  const vms = runId ? vmCount(runId) : 0;
  left += vms;
  if (!runId) {
    rows.push(`${String(i).padStart(2)}  kill at ${(at / 1000).toFixed(1).padStart(5)} s  before the run folder existed: rerun from scratch is the resume`);
    complete++;
    continue;
  }
  const t1 = Date.now();
  const resumed = first.signal === 'SIGKILL' ? await bootgate(['run', '--resume', join(dir, runId)]) : first;
  const run = await readRun(join(dir, runId)).catch(() => undefined);
  const journal = (await readFile(join(dir, runId, 'journal.ndjson'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; cell?: { id: string } });
  const cellLines = journal.filter((e) => e.type === 'cell').map((e) => e.cell!.id);
  const dup = cellLines.length - new Set(cellLines).size;
  const missing = refRun.cells.filter((c) => !run?.cells.some((x) => x.id === c.id && x.status === 'done')).length;
  const ok = run?.status === 'finished' && run && key(run) === key(refRun) && resumed.code === ref.code && dup === 0 && missing === 0;
  if (ok) complete++;
  lost += missing;
  twice += dup;
  const resumeAt = journal.findIndex((e) => e.type === 'resume');
  const before = journal.slice(0, resumeAt < 0 ? journal.length : resumeAt).filter((e) => e.type === 'cell').length;
  const verdict = ok ? 'same as uninterrupted' : `DIFFERENT: ${run ? key(run) : 'no run.json'} (${resumed.stderr.trim().split('\n').at(-1) ?? ''})`;
  rows.push(`${String(i).padStart(2)}  kill at ${(at / 1000).toFixed(1).padStart(5)} s  VMs left ${vms}  cells kept ${before}  resume ${((Date.now() - t1) / 1000).toFixed(0).padStart(3)} s exit ${resumed.code}  ${verdict}`);
}
console.log(rows.join('\n'));
console.log(`\n${complete} of ${points} complete; ${lost} cells lost; ${twice} cells run twice; ${left} QEMU processes left after the kill${killedAfterEnd ? `; ${killedAfterEnd} kill point(s) fell after the run had ended and were drawn again` : ''}`);
await rm(results, { recursive: true, force: true });
