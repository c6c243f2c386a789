/**
 * `bootgate detect` end to end, as a user runs it: node start-up, reading the file, sniffing and
 * parsing, in MB/s, and the child's peak RSS (prints, asserts nothing):
 *
 *   npm run bench:detect            (or: node dist/scripts/bench-detect-cli.js [MB] [runs])
 *
 * Three 100 MB console logs are generated in a temporary folder: quiet boot lines only (the usual
 * boot log), the same with a crash report of the fixture corpus every 400 kB (a soak log of a bad
 * build: 250 reports, each new), and the corpus back to back (crash reports everywhere: the worst
 * case). Each is detected `runs` times (default 3) in a child process. Wall-clock MB/s is what a
 * user sees; CPU MB/s (user + system time of the child) says the same on a loaded host. Peak RSS and
 * CPU time come from `/usr/bin/time -v` when it is installed, else RSS from the child's VmHWM in
 * /proc, polled. The host may be shared and loaded: read the spread, not one figure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../harness/util/paths.js';
import { fixtureDir, fixtureReports, writeConsoleLog } from './console-logs.js';

const MB = Number(process.argv[2] ?? 100);
const RUNS = Number(process.argv[3] ?? 3);
const BIN = join(projectRoot(), 'bin', 'bootgate.js');
const GNU_TIME = '/usr/bin/time';

interface Sample {
  seconds: number;
  /** User + system CPU seconds of the child (NaN without GNU time). */
  cpu: number;
  peakKiB: number;
  exitCode: number | null;
  records: number;
}

/** VmHWM of a live process in KiB, 0 once it is gone. */
function vmHwm(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function detectOnce(file: string): Promise<Sample> {
  const timed = existsSync(GNU_TIME);
  const [cmd, args] = timed ? [GNU_TIME, ['-v', process.execPath, BIN, 'detect', '--json', file]] : [process.execPath, [BIN, 'detect', '--json', file]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let polled = 0;
    const poll = timed ? undefined : setInterval(() => (polled = Math.max(polled, vmHwm(child.pid!))), 10);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      let records = -1;
      try {
        records = (JSON.parse(out) as { crashes: unknown[] }[]).reduce((n, r) => n + r.crashes.length, 0);
      } catch {
        // no JSON: a failed run; the exit code says so
      }
      const user = /User time \(seconds\): ([\d.]+)/.exec(err);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
      const cpu = user && sys ? Number(user[1]) + Number(sys[1]) : NaN;
      resolve({ seconds, cpu, peakKiB: rss ? Number(rss[1]) : polled, exitCode: timed ? exitOf(err, code) : code, records });
    });
  });
}

/** GNU time exits with the command's status; it also prints it. */
function exitOf(timeOutput: string, code: number | null): number | null {
  const m = /Exit status: (\d+)/.exec(timeOutput);
  return m ? Number(m[1]) : code;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bench(name: string, file: string, bytes: number): Promise<void> {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await detectOnce(file));
  const rates = samples.map((s) => bytes / 1e6 / s.seconds);
  const cpuRates = samples.map((s) => bytes / 1e6 / s.cpu);
  const peaks = samples.map((s) => s.peakKiB / 1024);
  const last = samples.at(-1)!;
  console.log(
    `${name.padEnd(38)} ${(bytes / 1e6).toFixed(0)} MB: wall ${median(rates).toFixed(1).padStart(5)} MB/s (${rates.map((r) => r.toFixed(1)).join(', ')}), ` +
      `cpu ${median(cpuRates).toFixed(1).padStart(5)} MB/s, peak RSS ${Math.max(...peaks).toFixed(0)} MiB, exit ${last.exitCode}, ${last.records} records`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'bootgate-bench-detect-'));
try {
  const reports = fixtureReports(fixtureDir(process.argv[4]));
  const quiet = join(dir, 'quiet-console.log');
  const soak = join(dir, 'soak-console.log');
  const worst = join(dir, 'crash-corpus.log');
  const q = writeConsoleLog(quiet, MB * 1e6, reports, 0);
  const a = writeConsoleLog(soak, MB * 1e6, reports, 400e3);
  const b = writeConsoleLog(worst, MB * 1e6, reports, 1);
  console.log(`node ${process.version}, ${cpus().length} cpus, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; RSS and CPU from ${existsSync(GNU_TIME) ? `${GNU_TIME} -v` : '/proc/PID/status VmHWM (polled)'}`);
  await bench('quiet boot log', quiet, q.bytes);
  await bench(`a crash report every 400 kB (${a.reports})`, soak, a.bytes);
  await bench('crash corpus back to back', worst, b.bytes);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
