/**
 * `npm run bench:aa` (issue 15): A/A. N clean boots (AA_BOOTS, default 50) of a benign agent
 * (examples/agents/crashers with content `none`: the module loads and does nothing) spread over
 * every image of the catalog (AA_IMAGES=a,b narrows them), each one soaked as every agent boot is
 * (boot.soak). Nothing may crash and no cell may fail: every crash record and `fail` here is the
 * lab's false alarm. Prints them per image, and as the last line a JSON summary; exits 1 when any.
 * AA_CONCURRENCY sets -j (default 1: the figures include the soak's cost per boot).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ImageCatalog } from '../harness/images/catalog.js';
import { runSchema } from '../harness/results/schema.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { aaTally } from './aa-tally.js';

const BOOTS = Number(process.env.AA_BOOTS ?? 50);
const J = Number(process.env.AA_CONCURRENCY ?? 1);

async function images(): Promise<string[]> {
  const only = process.env.AA_IMAGES?.split(',').filter(Boolean);
  if (only?.length) return only;
  const all = await new ImageCatalog(projectRoot(), cacheRoot()).list();
  return all.filter((e) => e.loaded.recipe.os !== 'windows').map((e) => e.loaded.recipe.name);
}

function suiteText(names: string[], cycles: number): string {
  const root = projectRoot();
  return [
    'name: aa',
    'description: A/A, a benign agent booted again and again on every image',
    `images: [${names.join(', ')}]`,
    'allowOutside: true',
    'agent:',
    '  name: crashers',
    '  kind: linux-kmod',
    '  health: test -d /sys/module/crashers && cat /sys/module/crashers/parameters/kind',
    `  builds: [{ version: "1.1.0", source: ${JSON.stringify(join(root, 'examples/agents/crashers'))} }]`,
    `content: [{ version: none, path: ${JSON.stringify(join(root, 'examples/content/crashers/none.txt'))} }]`,
    // The systemd disk under TCG on a loaded host took past the default 90 s to start ssh: a slow
    // boot is not what A/A looks for.
    `boot: { baseline: 0, cycles: ${cycles}, reboot: warm, timeout: 300s }`,
    'gate: { bootSuccess: 1.0, maxCrashes: 0 }',
    '',
  ].join('\n');
}

function run(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'bin/bootgate.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** Per booted agent cycle, seconds from ready to the boot's end: what the soak costs it (events.ndjson). */
async function afterReady(events: string): Promise<number[]> {
  const text = await readFile(events, 'utf8').catch(() => '');
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"boot-end"')) continue;
    const e = JSON.parse(line) as { at: string; phase: string; booted: boolean; startedAt: string; readyMs?: number };
    if (e.phase === 'agent' && e.booted && e.readyMs !== undefined) out.push((Date.parse(e.at) - Date.parse(e.startedAt) - e.readyMs) / 1000);
  }
  return out;
}

async function main(): Promise<void> {
  const names = await images();
  // The boots spread evenly: every image gets as many, N in all at least.
  const cycles = Math.max(1, Math.ceil(BOOTS / names.length));
  const dir = await mkdtemp(join(tmpdir(), 'bootgate-aa-'));
  const suite = join(dir, 'aa.yaml');
  await writeFile(suite, suiteText(names, cycles));
  const t0 = Date.now();
  const r = await run(['run', suite, '--results', join(dir, 'results'), '-j', String(J), '--reporter', 'plain,json']);
  const wallS = (Date.now() - t0) / 1000;
  const runJson = r.stdout.trim().split('\n').at(-1) ?? '';
  const result = runSchema.parse(JSON.parse(await readFile(runJson, 'utf8')));
  const rows = aaTally(result);
  const agentBoots = result.cells.flatMap((c) => c.cycles);
  const cycleS = agentBoots.map((y) => (y.readyMs ?? 0) / 1000);
  const afterS = await afterReady(join(dirname(runJson), 'events.ndjson'));
  console.log(`A/A: ${cycles} clean boots of crashers (content none) on each of ${names.length} images, -j ${J}, ${wallS.toFixed(0)} s wall`);
  console.log(['image', 'boots', 'crash records', 'false fails', 'errors'].join('\t'));
  for (const t of rows) console.log([t.image, t.boots, t.crashRecords, t.falseFails, t.errors].join('\t'));
  const all = rows.at(-1)!;
  for (const title of new Set(all.titles)) console.log(`  crash: ${title}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(`per agent boot: ready after ${mean(cycleS).toFixed(1)} s, then ${mean(afterS).toFixed(1)} s more until judged (the soak and the health check at its end); run ${runJson}`);
  console.log(JSON.stringify({ boots: all.boots, crashRecords: all.crashRecords, falseFails: all.falseFails, errors: all.errors, images: names.length, wallS: Math.round(wallS), afterReadyS: Number(mean(afterS).toFixed(2)), runJson }));
  process.exitCode = all.crashRecords === 0 && all.falseFails === 0 && all.errors === 0 ? 0 : 1;
}

await main();
