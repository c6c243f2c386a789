import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../util/errors.js';
import { buildWorkload, parseWorkloadTap, WorkloadError, workloadCommand } from './workload.js';

/** Output of bootgate-workload (images/guest-programs/workload.c) on this project's CI host, verbatim. */
const OK = `TAP version 14
1..4
# bootgate-workload iterations=50 batches=4 dir=/tmp exec-path=/bin/true
ok 1 - exec
  ---
  iterations: 50
  batches: 4
  samples_ns_per_op: [1647515.9, 862740.5, 766820.9, 771882.8]
  median_ns_per_op: 817311.7
  ...
ok 2 - open
  ---
  iterations: 50
  batches: 4
  samples_ns_per_op: [2883.7, 2404.8, 2602.3, 2590.0]
  median_ns_per_op: 2596.2
  ...
ok 3 - fsync
  ---
  iterations: 50
  batches: 4
  samples_ns_per_op: [99399.4, 104426.8, 105822.3, 112749.2]
  median_ns_per_op: 105124.6
  ...
ok 4 - tcp
  ---
  iterations: 50
  batches: 4
  samples_ns_per_op: [66561.8, 72454.4, 77511.9, 70395.5]
  median_ns_per_op: 71424.9
  ...
`;

const FAIL = `TAP version 14
1..2
# bootgate-workload iterations=20 batches=3 dir=/nonexist exec-path=/bin/true
not ok 1 - open
  ---
  message: "cannot create /nonexist/bootgate-workload-open.16155: No such file or directory (choose another with --dir)"
  ...
ok 2 - exec
  ---
  iterations: 20
  batches: 3
  samples_ns_per_op: [758027.9, 725198.7, 869952.1]
  median_ns_per_op: 758027.9
  ...
`;

describe('parseWorkloadTap', () => {
  it('reads the samples of every workload, in batch order', () => {
    const m = parseWorkloadTap(OK);
    expect([...m.keys()]).toEqual(['exec', 'open', 'fsync', 'tcp']);
    expect(m.get('exec')).toEqual([1647515.9, 862740.5, 766820.9, 771882.8]);
    expect(m.get('tcp')).toEqual([66561.8, 72454.4, 77511.9, 70395.5]);
  });

  it('ignores console noise and carriage returns around the TAP (output read from a serial console)', () => {
    const noisy = `[    3.141592] sensor: watching exec with 9 rules\r\n${OK.replace(/\n/g, '\r\n').replace('ok 3 - fsync', '[    4.2] random: crng init done\r\nok 3 - fsync')}bootgate-ready boot_id=x\r\n`;
    const m = parseWorkloadTap(noisy);
    expect(m.get('fsync')).toEqual([99399.4, 104426.8, 105822.3, 112749.2]);
    expect(m.size).toBe(4);
  });

  it('a not ok point is an error naming the workload and its message', () => {
    let err: unknown;
    try {
      parseWorkloadTap(FAIL);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WorkloadError);
    expect(err).toBeInstanceOf(LabError);
    expect((err as WorkloadError).code).toBe('WORKLOAD_FAILED');
    expect((err as WorkloadError).failures).toEqual([{ name: 'open', message: 'cannot create /nonexist/bootgate-workload-open.16155: No such file or directory (choose another with --dir)' }]);
    expect((err as Error).message).toBe('a workload failed: open: cannot create /nonexist/bootgate-workload-open.16155: No such file or directory (choose another with --dir)');
  });

  it('Bail out! (a usage error of the program) is an error', () => {
    expect(() => parseWorkloadTap('TAP version 14\nBail out! usage: unknown workload foo (known: exec, open, fsync, tcp)\n')).toThrow(/bailed out: usage: unknown workload foo/);
  });

  it('output cut short of its plan (the program died, or the guest did) is an error', () => {
    const cut = OK.slice(0, OK.indexOf('ok 3 - fsync'));
    expect(() => parseWorkloadTap(cut)).toThrow(/announced 4 test points but printed 2: it stopped half-way after open/);
  });

  it('no TAP at all, or a point without samples, is an error', () => {
    expect(() => parseWorkloadTap('sh: /opt/bootgate/bootgate-workload: not found\n')).toThrow(/no TAP from the workload/);
    expect(() => parseWorkloadTap('TAP version 14\n1..1\nok 1 - exec\n')).toThrow(/exec holds no valid samples_ns_per_op/);
    expect(() => parseWorkloadTap('TAP version 14\n1..1\nok 1 - exec\n  ---\n  samples_ns_per_op: [1, -2]\n  ...\n')).toThrow(/no valid samples/);
  });
});

describe('workloadCommand', () => {
  it('builds the guest command line, quoting what needs it', () => {
    expect(workloadCommand({ names: ['exec', 'tcp'], iterations: 100, batches: 20, execPath: '/bin/true' })).toBe('/opt/bootgate/bootgate-workload --iterations 100 --batches 20 --exec-path /bin/true exec tcp');
    expect(workloadCommand({ names: ['fsync'], dir: "/var/tmp/it's here", binary: '/tmp/w' })).toBe(`/tmp/w --dir '/var/tmp/it'\\''s here' fsync`);
  });
});

describe('buildWorkload: host without the toolchain', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('no compiler: a LabError naming the Debian packages', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bootgate-wl-'));
    dirs.push(cacheDir);
    const err = await buildWorkload({ cacheDir, cc: 'bootgate-no-such-gcc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('HOST_TOOL_MISSING');
    expect((err as Error).message).toMatch(/bootgate-no-such-gcc is not installed .*apt-get install gcc libc6-dev/);
  });

  it('a compiler without the static C library: a LabError naming libc6-dev', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bootgate-wl-'));
    dirs.push(cacheDir);
    // A stand-in for gcc on a host with gcc but no libc6-dev: what ld says there.
    const cc = join(cacheDir, 'fake-gcc');
    await writeFile(cc, `#!/bin/sh\n[ "$1" = --version ] && { echo "gcc (Debian 12.2.0-14) 12.2.0"; exit 0; }\necho "/usr/bin/ld: cannot find -lc: No such file or directory" >&2\necho "collect2: error: ld returned 1 exit status" >&2\nexit 1\n`);
    await chmod(cc, 0o755);
    const err = await buildWorkload({ cacheDir, cc }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('HOST_TOOL_MISSING');
    expect((err as Error).message).toMatch(/static C library is missing \(apt-get install gcc libc6-dev\)/);
  });
});
