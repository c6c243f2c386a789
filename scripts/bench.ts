/**
 * `npm run bench`: figures, not assertions (this machine is shared and noisy, so every figure
 * is a ratio measured within one run).
 * 1. Harness cost per boot: raw QEMU (same command line, console read to the ready marker)
 *    against the harness's own boot path (QMP, console recorder, crash parser, marker),
 *    interleaved raw/harness.
 * 2. Agent cost: suites/overhead.yaml (sensor 2.1.0 and 2.2.0-slow, exec/open/tcp with and
 *    without the agent), and an A/A check: the same samples split in two halves.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageCatalog } from '../harness/images/catalog.js';
import { chooseAccel } from '../harness/providers/qemu/accel.js';
import { freeLoopbackPort } from '../harness/providers/qemu/free-port.js';
import { qemuArgs } from '../harness/providers/qemu/qemu-args.js';
import { QemuProvider } from '../harness/providers/qemu/qemu-provider.js';
import type { MachineSpec } from '../harness/providers/provider.js';
import { ConsoleRecorder } from '../harness/run/console-recorder.js';
import { watchBoot } from '../harness/run/boot-watch.js';
import { runSuite } from '../harness/run/run-suite.js';
import { workloadOverhead } from '../harness/gate/overhead.js';
import { median, pct, ratioOfMedians } from '../harness/util/stats.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';

const MARK = 'bootgate-ready';

async function rawBoot(spec: MachineSpec, accel: 'kvm' | 'tcg'): Promise<number> {
  const port = await freeLoopbackPort();
  const t0 = performance.now();
  const child = spawn('qemu-system-x86_64', qemuArgs({ spec, accel, qmpSocket: join(spec.workDir, 'raw-qmp.sock'), sshPort: port }), { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let tail = '';
    let ms: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      tail = (tail + d).slice(-200);
      if (ms === undefined && tail.includes(MARK)) {
        ms = performance.now() - t0;
        child.kill('SIGKILL');
      }
    });
    child.once('exit', (c) => (ms !== undefined ? resolve(ms) : reject(new Error(`raw QEMU exited ${c} before the ready marker`))));
  });
}

async function harnessBoot(spec: MachineSpec, provider: QemuProvider): Promise<number> {
  const t0 = performance.now();
  const m = await provider.start(spec);
  const rec = new ConsoleRecorder();
  rec.attach(m);
  await rec.switchTo(join(spec.workDir, '..', `console-${Date.now()}.log`));
  let at = 0;
  const obs = await watchBoot({ machine: m, os: 'linux', recorder: rec, startedAt: m.startedAt, timeoutMs: 120_000, settleMs: 0, onMarker: async () => ((at = performance.now()), {}) });
  await rec.dispose();
  await m.dispose();
  if (!obs.booted) throw new Error(`harness boot failed: ${obs.outcome}`);
  return at - t0;
}

async function harnessCost(rounds: number): Promise<void> {
  const img = await new ImageCatalog(projectRoot(), cacheRoot()).ensure('debian-6.1-generic', (s) => console.log(`  image: ${s}`));
  const { accel } = await chooseAccel();
  const provider = new QemuProvider();
  const dir = await mkdtemp(join(tmpdir(), 'bootgate-bench-'));
  const base = join(img.dir, img.manifest.files.disk.path);
  const raw: number[] = [];
  const har: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      for (const side of ['raw', 'harness'] as const) {
        const disk = join(dir, `${side}-${i}.qcow2`);
        await provider.createOverlay(base, disk);
        const spec: MachineSpec = {
          name: `bench-${side}-${i}`,
          workDir: join(dir, `vm-${side}-${i}`),
          disk,
          boot: { kind: 'direct-kernel', kernel: join(img.dir, img.manifest.files.kernel!.path), initrd: join(img.dir, img.manifest.files.initrd!.path), args: ['loglevel=5', 'panic=-1', 'oops=panic'] },
          memoryMiB: 512,
          cpus: 1,
          guestSshPort: 22,
        };
        const { mkdir } = await import('node:fs/promises');
        await mkdir(spec.workDir, { recursive: true });
        const ms = side === 'raw' ? await rawBoot(spec, accel) : await harnessBoot(spec, provider);
        (side === 'raw' ? raw : har).push(ms);
        console.log(`  round ${i + 1} ${side.padEnd(7)} ${(ms / 1000).toFixed(2)} s to the ready marker`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const r = ratioOfMedians(raw, har)!;
  console.log(`harness cost per boot (${accel}): raw QEMU median ${(median(raw) / 1000).toFixed(2)} s, harness ${(median(har) / 1000).toFixed(2)} s, ratio ${r.ratio.toFixed(3)} (${pct(r.ratio)}%, 95% CI ${pct(r.ciLow)}%..${pct(r.ciHigh)}%, ${rounds} boots each; target <= 3%)`);
}

async function agentCost(): Promise<void> {
  const results = await mkdtemp(join(tmpdir(), 'bootgate-bench-res-'));
  const ac = new AbortController();
  const r = await runSuite({ suiteFile: join(projectRoot(), 'suites', 'overhead.yaml'), resultsDir: results, cacheDir: cacheRoot(), root: projectRoot(), emit: () => undefined, signal: ac.signal });
  for (const cell of r.run.cells) {
    console.log(`${cell.agent.build}: ${cell.verdict}`);
    for (const e of workloadOverhead(cell.cycles)) {
      console.log(`  ${e.workload.padEnd(5)} overhead ${e.pct >= 0 ? '+' : ''}${e.pct}% (95% CI ${pct(e.ciLow)}%..${e.pctUpper}%, n=${e.nA}+${e.nB}) ${e.significant ? 'SIGNIFICANT' : 'not significant'}`);
    }
    // A/A: the with-agent samples of this cell split into two halves, boot by boot.
    const b = cell.cycles.flatMap((c) => c.workloads?.exec?.b ?? []);
    const half = b.length >> 1;
    const aa = ratioOfMedians(b.filter((_, i) => i % 2 === 0).slice(0, half), b.filter((_, i) => i % 2 === 1).slice(0, half));
    if (aa) console.log(`  A/A exec (same build, samples split in two): ${pct(aa.ratio)}% (95% CI ${pct(aa.ciLow)}%..${pct(aa.ciHigh)}%) ${aa.significant ? 'SIGNIFICANT (calibration failed)' : 'not significant'}`);
  }
  console.log(`run: ${r.runDir}`);
}

const what = process.argv[2] ?? 'all';
if (what === 'all' || what === 'harness') {
  console.log('== harness cost per boot');
  await harnessCost(Number(process.env.BENCH_ROUNDS ?? 4));
}
if (what === 'all' || what === 'agent') {
  console.log('== agent cost (suites/overhead.yaml)');
  await agentCost();
}
