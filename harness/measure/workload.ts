import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError, throwIfAborted } from '../util/errors.js';
import { execCapture } from '../util/exec.js';
import { pathExists } from '../util/fsutil.js';
import { projectRoot } from '../util/paths.js';
import { shellWord } from '../util/shell-quote.js';
import { pushAll } from '../util/arrays.js';
import { readTap } from './tap.js';

/**
 * In-guest workloads: images/guest-programs/workload.c (`bootgate-workload`), compiled on the host
 * as a static binary so it runs in the busybox initramfs as on a full Debian guest, and what its
 * TAP (read by measure/tap.ts) says: for every workload, the time per operation of each batch.
 */

export const WORKLOAD_NAMES = ['exec', 'open', 'fsync', 'tcp'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** Where the binary goes in a guest (on the state disk of initramfs images, so it survives reboots). */
export const WORKLOAD_GUEST_PATH = '/opt/bootgate/bootgate-workload';

export const workloadSource = () => join(projectRoot(), 'images', 'guest-programs', 'workload.c');

export interface BuildWorkloadOptions {
  /** The lab's cache root (BOOTGATE_CACHE); the binary is kept in <cacheDir>/workload/<source hash>/. */
  cacheDir: string;
  signal?: AbortSignal;
  /** Default: images/guest-programs/workload.c of this lab. */
  sourceFile?: string;
  /** Default: gcc. */
  cc?: string;
}

/** What gcc says when glibc's development files (libc.a, crt1.o, the headers) are not installed. */
const STATIC_LIBC_MISSING = /cannot find -l(?:c|pthread|m)\b|cannot find crt1\.o|crt1\.o: No such file|fatal error: [\w/.-]+\.h: No such file/;

/** Debian packages that bring a static C toolchain: the compiler and glibc's libc.a. */
export const WORKLOAD_PACKAGES = 'gcc libc6-dev';

/**
 * Compile bootgate-workload (gcc -O2 -static), once per source: the cache key is the sha256
 * of the source and the compiler command. Resolves with the path of the binary. A host without
 * gcc or without the static C library gets a LabError naming the Debian packages to install.
 */
export async function buildWorkload(o: BuildWorkloadOptions): Promise<string> {
  const src = o.sourceFile ?? workloadSource();
  const cc = o.cc ?? 'gcc';
  const args = ['-O2', '-static', '-pthread', '-Wall', '-Wextra', '-o'];
  let text: Buffer;
  try {
    text = await readFile(src);
  } catch (e) {
    throw new LabError('WORKLOAD_SOURCE_MISSING', `the workload source ${src} cannot be read (${(e as NodeJS.ErrnoException).code ?? e}): is this a complete bootgate checkout?`, { cause: e });
  }
  const hash = createHash('sha256').update(text).update('\0').update([cc, ...args].join(' ')).digest('hex').slice(0, 16);
  const dir = join(o.cacheDir, 'workload', hash);
  const bin = join(dir, 'bootgate-workload');
  if (await pathExists(bin)) return bin;

  throwIfAborted(o.signal);
  try {
    await execCapture(cc, ['--version'], { signal: o.signal });
  } catch (e) {
    if ((e as { code?: string }).code === 'HOST_TOOL_MISSING') {
      throw new LabError('HOST_TOOL_MISSING', `${cc} is not installed on this host: the in-guest workload is compiled with it (apt-get install ${WORKLOAD_PACKAGES})`, { cause: e });
    }
    throw e;
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  try {
    const r = await execCapture(cc, [...args, tmp, src], { signal: o.signal, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    if (r.code !== 0) {
      const out = `${r.stderr}\n${r.stdout}`.trim();
      if (STATIC_LIBC_MISSING.test(out)) {
        throw new LabError('HOST_TOOL_MISSING', `${cc} cannot link a static program on this host: the static C library is missing (apt-get install ${WORKLOAD_PACKAGES}):\n${out.split('\n').slice(-6).join('\n')}`);
      }
      throw new LabError('WORKLOAD_BUILD_FAILED', `compiling ${src} failed (${cc} exited ${r.code}):\n${out.split('\n').slice(-12).join('\n')}`);
    }
    await rename(tmp, bin);
  } finally {
    await rm(tmp, { force: true });
  }
  return bin;
}

export interface WorkloadCommandOptions {
  names: readonly string[];
  iterations?: number;
  batches?: number;
  dir?: string;
  execPath?: string;
  /** Default WORKLOAD_GUEST_PATH. */
  binary?: string;
}

/** The guest command line that runs the workloads. */
export function workloadCommand(o: WorkloadCommandOptions): string {
  const parts = [o.binary ?? WORKLOAD_GUEST_PATH];
  if (o.iterations !== undefined) parts.push('--iterations', String(o.iterations));
  if (o.batches !== undefined) parts.push('--batches', String(o.batches));
  if (o.dir !== undefined) parts.push('--dir', o.dir);
  if (o.execPath !== undefined) parts.push('--exec-path', o.execPath);
  pushAll(parts, o.names);
  return parts.map(shellWord).join(' ');
}

/** A workload run that did not give samples: a test point not ok, a bail out, truncated or foreign output. */
export class WorkloadError extends LabError {
  /** Each failed workload with its message. */
  readonly failures: { name: string; message: string }[];
  constructor(code: string, message: string, failures: { name: string; message: string }[] = []) {
    super(code, message);
    this.failures = failures;
  }
}

/**
 * The samples of bootgate-workload's TAP: workload name -> ns per operation, one per batch,
 * in batch order. Lines that are not TAP (console noise around it) are ignored. Throws a
 * WorkloadError when a test point is not ok (naming each with its message), on `Bail out!`,
 * when fewer points than the plan announced arrived (the program died half-way), or when an
 * ok point holds no samples.
 */
export function parseWorkloadTap(text: string): Map<string, number[]> {
  const tap = readTap(text);
  if (tap.bailout !== undefined) throw new WorkloadError('WORKLOAD_BAIL_OUT', `the workload bailed out: ${tap.bailout || '(no reason given)'}`);
  const points = tap.points.filter((pt) => pt.depth === 0);
  if (!tap.sawVersion && points.length === 0) throw new WorkloadError('WORKLOAD_NO_TAP', 'no TAP from the workload (is bootgate-workload in the guest, and did it run?)');
  const failed = points.filter((pt) => !pt.ok && pt.directive !== 'todo');
  if (failed.length) {
    const failures = failed.map((pt) => ({ name: pt.description || `#${pt.number}`, message: String(pt.diag?.message ?? 'not ok (no message)') }));
    throw new WorkloadError('WORKLOAD_FAILED', `${failures.length === 1 ? 'a workload' : `${failures.length} workloads`} failed: ${failures.map((f) => `${f.name}: ${f.message}`).join('; ')}`, failures);
  }
  if (tap.plan && points.length < tap.plan.end) {
    throw new WorkloadError('WORKLOAD_TRUNCATED', `the workload announced ${tap.plan.end} test points but printed ${points.length}: it stopped half-way${points.length ? ` after ${points[points.length - 1]!.description}` : ''}`);
  }
  if (points.length === 0) throw new WorkloadError('WORKLOAD_NO_TAP', 'the workload printed no test point');

  const out = new Map<string, number[]>();
  for (const pt of points) {
    if (pt.directive === 'skip') continue;
    const raw = pt.diag?.samples_ns_per_op;
    const samples = Array.isArray(raw) ? raw.map(Number) : [];
    if (!pt.description) throw new WorkloadError('WORKLOAD_TAP', `test point ${pt.number} has no workload name`);
    if (samples.length === 0 || samples.some((x) => !Number.isFinite(x) || x <= 0)) {
      throw new WorkloadError('WORKLOAD_TAP', `test point ${pt.description} holds no valid samples_ns_per_op (positive numbers, one per batch)`);
    }
    if (out.has(pt.description)) throw new WorkloadError('WORKLOAD_TAP', `workload ${pt.description} appears twice`);
    out.set(pt.description, samples);
  }
  return out;
}
