/**
 * Throughput of the Linux console parser, in MB/s (prints, asserts nothing):
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-detect.js [fixture-dir]
 *
 * Three inputs of about 30 MB each: the fixture corpus concatenated (crash reports nearly
 * everywhere: the worst case), the same streamed in 4 KiB chunks, and a quiet boot log
 * (the usual case: no report at all).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LinuxConsoleDetector, parseLinuxConsole } from '../harness/detect/linux-console.js';
import { projectRoot } from '../harness/util/paths.js';

const TARGET_BYTES = 30e6;

function fixtureDir(): string {
  const dir = process.argv[2] ?? join(projectRoot(), 'harness/detect/testdata/linux-console');
  if (!existsSync(dir)) throw new Error(`linux-console fixtures not found at ${dir}; pass their directory as the first argument`);
  return dir;
}

function corpus(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => {
      const text = readFileSync(resolve(dir, f), 'utf8');
      return text.slice(text.indexOf('\n\n') + 2);
    })
    .join('\n');
}

/** Kernel and systemd lines of an uneventful boot, with advancing time stamps. */
function quietLog(bytes: number): string {
  const lines = [
    'EXT4-fs (vda1): mounted filesystem 5e0f7c2a-3c1e-4f7b-9c61-0d4c5b2a9e11 with ordered data mode. Quota mode: none.',
    'systemd[1]: Started systemd-journald.service - Journal Service.',
    'audit: type=1400 audit(1700000000.123:42): apparmor="STATUS" operation="profile_load" name="/usr/bin/man" pid=512',
    'virtio_net virtio0 enp0s3: renamed from eth0',
    'sensor: loading out-of-tree module taints kernel.',
    'IPv6: ADDRCONF(NETDEV_CHANGE): enp0s3: link becomes ready',
    'random: crng init done',
    '  dump of a user-space tool: WARNING: no configuration file found, using defaults',
    'NET: Registered PF_VSOCK protocol family',
    'Adding 998396k swap on /dev/vda5.  Priority:-2 extents:1 across:998396k FS',
  ];
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const t = (1 + i * 0.0137).toFixed(6).padStart(12, ' ');
    const line = `[${t}] ${lines[i % lines.length]}`;
    out.push(line);
    size += line.length + 1;
  }
  return out.join('\n');
}

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

const crashy = repeat(corpus(fixtureDir()), TARGET_BYTES);
measure('fixture corpus, parseLinuxConsole', crashy, (t) => parseLinuxConsole(t).length);
measure('fixture corpus, 4 KiB chunks', crashy, streamed);
measure('quiet boot log, parseLinuxConsole', quietLog(TARGET_BYTES), (t) => parseLinuxConsole(t).length);
