import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './cli-helpers.js';
import { cell, crashed, ok, run } from './fixtures/report-run.js';
import { writeCorpus, type HostileCase, type Sandbox } from './hostile/corpus.js';

// Every malformed or hostile input through the real CLI: the exit code of the contract, one line
// naming the file (and its line where there is one), never a stack trace or "internal error",
// no raw control character from the input on a terminal, nothing written outside the results and
// cache folders, and an end within 10 s each (60 s for the few inputs of tens of MB: a hang detector, not a speed test).
const LIMIT_MS = 10_000;
const LARGE_LIMIT_MS = 60_000;
const CONCURRENCY = 3;
const STACK = /\n\s+at .*:\d+:\d+/;
// C0 controls but tab and newline, DEL, and the C1 CSI: what a guest could use to drive a terminal.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/;

interface Outcome {
  c: HostileCase;
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  hung: boolean;
}

let sb: Sandbox;
let cases: HostileCase[] = [];
let outcomes: Outcome[] = [];
let before: Map<string, string>;

/** Every file under the folders that no command may write to, with a hash of its bytes. */
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) m.set(relative(sb.root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
      else m.set(relative(sb.root, p), e.isSymbolicLink() ? 'symlink' : 'special');
    }
  };
  for (const d of ['lab', 'outside', 'policies', 'evidence']) walk(join(sb.root, d));
  return m;
}

function runCase(c: HostileCase, i: number): Promise<Outcome> {
  const results = join(sb.root, 'results', String(i));
  const args = c.args.map((a) => (a === '{results}' ? results : a));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: join(sb.root, 'cwd'),
      env: { ...process.env, BOOTGATE_CACHE: join(sb.root, 'cache'), HOME: join(sb.root, 'home'), NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (d) => (stdout = (stdout + d).slice(-200_000)));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-200_000)));
    const t = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, c.large ? LARGE_LIMIT_MS : LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ c, code, stdout, stderr, ms: Date.now() - t0, hung });
    });
  });
}

async function runAll(): Promise<Outcome[]> {
  const out: Outcome[] = new Array(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) {
        const i = next++;
        out[i] = await runCase(cases[i]!, i);
      }
    }),
  );
  return out;
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'bootgate-hostile-'));
  sb = { root, lab: join(root, 'lab'), outside: join(root, 'outside'), goodRun: join(root, 'good-run') };
  for (const d of ['outside', 'cwd', 'home', 'cache', 'results', 'good-run']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(sb.outside, 'canary.txt'), 'nothing may touch this\n');
  const good = run([cell('debian-6.1-generic', '290', { cycles: [ok('agent', 1), ok('agent', 2)] }), cell('debian-6.1-generic', '291', { verdict: 'fail', bootLoop: true, cycles: [crashed(1), crashed(2)] })]);
  writeFileSync(join(sb.goodRun, 'run.json'), JSON.stringify(good));
  cases = writeCorpus(sb, good as unknown as Record<string, unknown>);
  before = snapshot();
  outcomes = await runAll();
}, 900_000);

afterAll(() => {
  if (sb) rmSync(sb.root, { recursive: true, force: true });
});

describe('hostile inputs through the CLI', () => {
  it('has at least 200 cases, each with a unique id', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('tally', () => {
    const named = outcomes.filter((o) => o.code === 2 && o.c.names && o.stderr.includes(o.c.names.file));
    const withLine = named.filter((o) => new RegExp(`${o.c.names!.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`).test(o.stderr));
    const internal = outcomes.filter((o) => /internal error/i.test(o.stderr + o.stdout) || STACK.test(o.stderr + o.stdout));
    const hung = outcomes.filter((o) => o.hung);
    const after = snapshot();
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
    const slowest = outcomes.reduce((a, o) => (o.ms > a.ms ? o : a), outcomes[0]!);
    const byKind = new Map<string, number>();
    for (const c of cases) byKind.set(c.id.split('/')[0]!, (byKind.get(c.id.split('/')[0]!) ?? 0) + 1);
    console.log(
      `hostile corpus: ${outcomes.length} tried, ${named.length} exit 2 naming the file (${withLine.length} with its line), ` +
        `${outcomes.filter((o) => o.code !== 2).length} valid but hostile (exit 0, 1 or 3 as their content says), ${internal.length} internal errors, ${hung.length} hangs, ` +
        `${changed.length} writes outside; slowest ${slowest.c.id} ${slowest.ms} ms; cases by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    expect(changed, 'files changed outside the results and cache folders').toEqual([]);
  });

  it('every case: the exit code of the contract, named file, no trace, no hang, no raw control character', () => {
    const wrong: string[] = [];
    for (const o of outcomes) {
      const why: string[] = [];
      if (o.hung) why.push(`hung past ${o.c.large ? LARGE_LIMIT_MS : LIMIT_MS} ms`);
      else if (!o.c.codes.includes(o.code ?? -1)) why.push(`exit ${o.code}, expected ${o.c.codes.join(' or ')}`);
      if (/internal error/i.test(o.stderr + o.stdout)) why.push('says internal error');
      if (STACK.test(o.stderr + o.stdout)) why.push('prints a stack trace');
      if (o.code === 2 && o.c.names && !o.stderr.includes(o.c.names.file)) why.push(`does not name ${o.c.names.file}`);
      if (o.code === 2 && o.stderr.trim().split('\n').length > 3) why.push('more than a few lines for one bad input');
      if (!o.c.args.includes('--json') && RAW_CONTROL.test(o.stdout + o.stderr)) why.push('raw control character in the output');
      if (why.length) wrong.push(`${o.c.id}: ${why.join('; ')}: ${(o.stderr.trim().split('\n')[0] ?? '').slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('reports written from a run with hostile text hold no raw control character', () => {
    const dir = join(sb.root, 'runs', 'esc-in-reason');
    const files = readdirSync(dir).filter((f) => f !== 'run.json' && statSync(join(dir, f)).isFile());
    expect(files.sort()).toEqual(['gate.json', 'junit.xml', 'report.html', 'results.tap', 'summary.md']);
    for (const f of files.filter((x) => x !== 'gate.json')) expect(RAW_CONTROL.test(readFileSync(join(dir, f), 'utf8')), f).toBe(false);
  });
});

