/**
 * Synthetic Linux console logs for the detect benchmarks: quiet boot lines, the crash reports of
 * the fixture corpus, and a mix of both written to a file piece by piece (a 100 MB log is never
 * held whole in the benchmark's own memory).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../harness/util/paths.js';

export function fixtureDir(dir = join(projectRoot(), 'harness/detect/testdata/linux-console')): string {
  if (!existsSync(dir)) throw new Error(`linux-console fixtures not found at ${dir}; pass their directory as the first argument`);
  return dir;
}

/** The console part of every fixture (its header of TITLE/ALT lines dropped), one string each. */
export function fixtureReports(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => {
      const text = readFileSync(resolve(dir, f), 'utf8');
      return text.slice(text.indexOf('\n\n') + 2);
    });
}

const QUIET = [
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

/** Kernel and systemd lines of an uneventful boot, with advancing time stamps, `bytes` long. */
export function quietLog(bytes: number, from = 0): string {
  const out: string[] = [];
  let size = 0;
  for (let i = from; size < bytes; i++) {
    const t = (1 + i * 0.0137).toFixed(6).padStart(12, ' ');
    const line = `[${t}] ${QUIET[i % QUIET.length]}`;
    out.push(line);
    size += line.length + 1;
  }
  return out.join('\n') + '\n';
}

/**
 * Writes a console log of about `bytes` bytes to `path`: quiet lines with one crash report of the
 * corpus every `every` bytes (0: none), the reports taken in turn. Returns the size written and
 * the number of reports in it.
 */
export function writeConsoleLog(path: string, bytes: number, reports: string[], every: number): { bytes: number; reports: number } {
  const fd = openSync(path, 'w');
  let written = 0;
  let n = 0;
  let line = 0;
  try {
    while (written < bytes) {
      const piece = every > 0 ? Math.min(every, bytes - written) : Math.min(1 << 20, bytes - written);
      const quiet = quietLog(piece, line);
      line += Math.ceil(quiet.length / 80); // the clock moves on about one step a line
      written += writeSync(fd, quiet);
      if (every > 0 && reports.length > 0 && written < bytes) {
        const r = reports[n++ % reports.length]!;
        written += writeSync(fd, r.endsWith('\n') ? r : `${r}\n`);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: written, reports: n };
}
