/**
 * Throughput of the Linux console parser in process, in MB/s (prints, asserts nothing; the whole
 * command, start-up included, is measured by bench-detect-cli.ts):
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-detect.js [fixture-dir]
 *
 * Three inputs of about 30 MB each: the fixture corpus concatenated (crash reports nearly
 * everywhere: the worst case), the same streamed in 4 KiB chunks, and a quiet boot log
 * (the usual case: no report at all).
 */
import { LinuxConsoleDetector, parseLinuxConsole } from '../harness/detect/linux-console.js';
import { fixtureDir, fixtureReports, quietLog } from './console-logs.js';

const TARGET_BYTES = 30e6;

function repeat(text: string, bytes: number): string {
  return Array(Math.max(1, Math.ceil(bytes / text.length)))
    .fill(text)
    .join('\n');
}

function measure(name: string, text: string, run: (t: string) => number): void {
  run(text.slice(0, 2e6)); // warm up the JIT
  let best = 0;
  let records = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    records = run(text);
    const mbs = text.length / 1e6 / ((performance.now() - t0) / 1000);
    best = Math.max(best, mbs);
  }
  console.log(`${name.padEnd(34)} ${(text.length / 1e6).toFixed(1).padStart(5)} MB  ${best.toFixed(1).padStart(6)} MB/s  (${records} records)`);
}

function streamed(text: string): number {
  const d = new LinuxConsoleDetector();
  let n = 0;
  for (let i = 0; i < text.length; i += 4096) n += d.push(text.slice(i, i + 4096)).length;
  return n + d.end().length;
}

const crashy = repeat(fixtureReports(fixtureDir(process.argv[2])).join('\n'), TARGET_BYTES);
measure('fixture corpus, parseLinuxConsole', crashy, (t) => parseLinuxConsole(t).length);
measure('fixture corpus, 4 KiB chunks', crashy, streamed);
measure('quiet boot log, parseLinuxConsole', quietLog(TARGET_BYTES), (t) => parseLinuxConsole(t).length);
