/**
 * The test files that boot real guests: the images each one boots, and which command runs it.
 * One place for both vitest configs (vitest.config.ts, vitest.matrix.config.ts) and for the
 * image builds made once before any test (test/build-images.ts). test/guest-tests.test.ts
 * checks every entry against the suites it runs, and that no guest-booting file is missing.
 *
 * `npm test` must finish on a fresh 2-core machine without KVM in under 45 minutes, setup
 * included: its guest tests boot about 95 times, on the two generic initramfs images only.
 * What boots many images, downloads kernel packages or boots for long is `matrix`: it runs in
 * `npm run test:matrix` instead.
 */
export interface GuestTest {
  /** The images the file boots, in the order its suites name them. */
  images: readonly string[];
  /** The suite files it runs, when it runs any: `images` must be what they select. */
  suites?: readonly string[];
  /** Long: `npm run test:matrix` runs it, `npm test` does not. */
  matrix?: true;
}

const G61 = 'debian-6.1-generic';
const G612 = 'debian-6.12-generic';

export const GUEST_TESTS: Readonly<Record<string, GuestTest>> = {
  // npm test. Boots: baseline + cycles per cell; a boot loop stops a cell at its second crash.
  'test/quickstart.int.test.ts': { suites: ['suites/quickstart.yaml'], images: [G61] }, // 2 cells, 7 boots
  'test/crashers.int.test.ts': { suites: ['suites/crashers.yaml'], images: [G61] }, // 7 cells, 14 boots
  'test/lifecycle.int.test.ts': { suites: ['suites/lifecycle.yaml'], images: [G61] }, // 1 cell, 6 boots
  'test/ebpf-vs-kmod.int.test.ts': { suites: ['suites/ebpf-vs-kmod.yaml'], images: [G61, G612] }, // 8 cells, 24 boots
  'test/ebpf.int.test.ts': { suites: ['suites/ebpf-sensor.yaml'], images: [G61] }, // 2 cells, 8 boots
  'test/resume.int.test.ts': { suites: ['suites/quickstart.yaml'], images: [G61] }, // quickstart killed mid-run, then resumed: about 9 boots
  'harness/providers/qemu/snapshot-restore.int.test.ts': { images: [G61] }, // a guest saved once, started twice from its state, one rebooted: 2 boots, 2 restores
  'test/cleanup.int.test.ts': { images: [G61] }, // its own one-cell suite: stopped early, timed out twice, a VM killed and the cell retried: 7 boots
  'test/selftest.int.test.ts': { images: [G61] }, // its own one-cell suite: 3 boots
  'test/warm-reboot.int.test.ts': { images: [G61] }, // CellVm alone: 4 boots
  'test/recovery.int.test.ts': { suites: ['suites/recovery.yaml'], images: [G61] }, // a boot loop (3 boots), then the drills: 2 + 3 + 3 boots
  // bootgate fuzz from content 290: the module (1 boot, a restore per crash, 3 boots to confirm), then the eBPF sensor (1 boot).
  'test/fuzz.int.test.ts': { suites: ['suites/quickstart.yaml', 'suites/ebpf-sensor.yaml'], images: [G61] },
  'test/deferred-builds.int.test.ts': { images: [G61] }, // a build that fails while the other cell may already boot (stopped), then the resume: 4 boots
  'test/aa.int.test.ts': { images: [G61, G612] }, // npm run bench:aa with 2 boots: 2 cells, 4 boots (install, agent)
  // Redis and two workers against a local run of the quickstart cut to one agent boot a cell: 3 + 4 boots.
  'test/queue.int.test.ts': { suites: ['test/fixtures/suites/queue-quick.yaml'], images: [G61] },
  // A worker killed -9 mid-cell (1 cell, a boot lost and 2 again), Redis restarted mid-run (2 cells, 4 boots).
  'test/queue-faults.int.test.ts': { suites: ['test/fixtures/suites/queue-quick.yaml'], images: [G61], matrix: true },
  'test/docker-provider.int.test.ts': { suites: ['suites/quickstart.yaml'], images: [G61] }, // the quickstart with --provider docker: 7 boots in containers
  // The systemd disk boots slowly under TCG: a boot loop (3 boots), a rescue shell and a normal boot, 4 to 8 minutes.
  'test/recovery-rescue.int.test.ts': { suites: ['suites/recovery-rescue.yaml'], images: ['debian-6.1-generic-systemd'], matrix: true },

  // npm run test:matrix.
  // Every Linux image (six kernels, two userlands): 14 cells, 42 boots, a module build per kernel.
  'test/kernel-matrix.int.test.ts': {
    suites: ['suites/kernel-matrix.yaml'],
    images: ['debian-6.1-cloud', 'debian-6.1-generic-systemd', G61, 'debian-6.1-rt', 'debian-6.12-cloud', G612, 'debian-6.12-rt'],
    matrix: true,
  },
  // The kernel matrix again with --provider docker: the same 14 cells, 42 boots, each VM in a container.
  'test/kernel-matrix-docker.int.test.ts': {
    suites: ['suites/kernel-matrix.yaml'],
    images: ['debian-6.1-cloud', 'debian-6.1-generic-systemd', G61, 'debian-6.1-rt', 'debian-6.12-cloud', G612, 'debian-6.12-rt'],
    matrix: true,
  },
  // Boot smoke of the kernels read from other suites' archives (Debian 11, 13, unstable), every
  // flavour, and Debian 13's systemd disk (mmdebstrap, as root): 10 image builds, 10 boots to the
  // ready marker and an SSH login.
  'test/kernel-years.int.test.ts': {
    images: [
      'debian-11-5.10-cloud', 'debian-11-5.10-generic', 'debian-11-5.10-rt',
      'debian-13-6.12-cloud', 'debian-13-6.12-generic', 'debian-13-6.12-rt',
      'debian-sid-cloud', 'debian-sid-generic', 'debian-sid-rt',
      'debian-13-6.12-generic-systemd',
    ],
    matrix: true,
  },
  // Boot smoke of the arm64 images (qemu-system-aarch64, virt, TCG here): 6 builds, 6 boots to the ready marker and an SSH login.
  'test/arm64-boot.int.test.ts': {
    images: [
      'debian-6.1-generic-arm64', 'debian-6.1-cloud-arm64', 'debian-6.1-rt-arm64',
      'debian-6.12-generic-arm64', 'debian-6.12-cloud-arm64', 'debian-6.12-rt-arm64',
    ],
    matrix: true,
  },
  // One arm64 boot in npm test: 6.1 under qemu-system-aarch64 to SSH (35-40 s under TCG here, plus a 36 s image build on a fresh machine).
  'test/arm64-smoke.int.test.ts': { images: ['debian-6.1-generic-arm64'] },
  // ebpf-vs-kmod on arm64 6.1 and 6.12: 8 cells, about 22 boots; the eBPF sensor built for arm64 (sysroot of arm64 libraries).
  'test/ebpf-vs-kmod-arm64.int.test.ts': { suites: ['suites/ebpf-vs-kmod-arm64.yaml'], images: ['debian-6.1-generic-arm64', 'debian-6.12-generic-arm64'], matrix: true },
  // The quickstart on arm64 6.1 and 6.12 (TCG): 4 cells, 14 boots of 35-75 s each.
  'test/quickstart-arm64.int.test.ts': { suites: ['suites/quickstart-arm64.yaml'], images: ['debian-6.1-generic-arm64', 'debian-6.12-generic-arm64'], matrix: true },
  // Both sensors on the three new kernel families, generic flavour: 12 cells, 27 boots, three build containers (once).
  'test/kernel-years-sensors.int.test.ts': {
    suites: ['suites/kernel-years.yaml'],
    images: ['debian-11-5.10-generic', 'debian-13-6.12-generic', 'debian-sid-generic'],
    matrix: true,
  },
  // The sensor (module and eBPF, 290 and 291) on every Linux image (suite images: os=linux, so an
  // image added to the catalog joins; list it here too): 92 cells on 23 images, a module build per
  // kernel (containers for other suites, cross-builds for arm64): the 68 amd64 cells took about 90
  // minutes of wall time here (TCG, loaded host); arm64 boots take 35-100 s each.
  'test/all-images.int.test.ts': {
    suites: ['suites/all-images.yaml'],
    images: [
      'debian-11-5.10-cloud', 'debian-11-5.10-generic', 'debian-11-5.10-rt',
      'debian-13-6.12-cloud', 'debian-13-6.12-generic-systemd', 'debian-13-6.12-generic', 'debian-13-6.12-rt',
      'debian-6.1-cloud-arm64', 'debian-6.1-cloud', 'debian-6.1-generic-arm64', 'debian-6.1-generic-systemd', G61,
      'debian-6.1-rt-arm64', 'debian-6.1-rt',
      'debian-6.12-cloud-arm64', 'debian-6.12-cloud', 'debian-6.12-generic-arm64', G612, 'debian-6.12-rt-arm64', 'debian-6.12-rt',
      'debian-sid-cloud', 'debian-sid-generic', 'debian-sid-rt',
    ],
    matrix: true,
  },
  // Kernel packages of 70 and 107 MB for test_bpf, whose tests add 40-55 s to each of its boots.
  'test/third-party.int.test.ts': { suites: ['suites/third-party.yaml'], images: [G61, G612], matrix: true },
  // Three runs of a workload suite on the instruction clock, then two comparisons.
  'test/compare.int.test.ts': { suites: ['suites/compare-sensor-2.1.0.yaml', 'suites/compare-sensor-2.2.0-slow.yaml'], images: [G61], matrix: true },
  // Content 290 then 291 in three rings over the six initramfs kernels, one cycle of soak a ring:
  // 290 in every ring (6 cells), 291 in the canary ring alone (2 cells), 16 boots.
  'test/rollout.int.test.ts': {
    suites: ['suites/rollout.yaml'],
    images: [G61, G612, 'debian-6.1-cloud', 'debian-6.12-cloud', 'debian-6.1-rt', 'debian-6.12-rt'],
    matrix: true,
  },
  // compare --confirm 3: a one-off crash (2 runs, 1 rerun) and the 2.2.0-slow workload runs (2 runs, 1 rerun).
  'test/confirm.int.test.ts': {
    suites: ['test/fixtures/suites/flake-reference.yaml', 'test/fixtures/suites/flake-one-off.yaml', 'suites/compare-sensor-2.1.0.yaml', 'suites/compare-sensor-2.2.0-slow.yaml'],
    images: [G61],
    matrix: true,
  },
  // Every crashers kind on 6.1 and 6.12: 36 cells, 72 boots; the lockups and blocked threads soak.
  'test/crashers-kernels.int.test.ts': { suites: ['suites/crashers-kernels.yaml'], images: [G61, G612], matrix: true },
  // bootgate fuzz stopped and resumed: two fuzz runs of the sensor on one corpus, the second interrupted (2 boots).
  'test/fuzz-resume.int.test.ts': { suites: ['suites/quickstart.yaml'], images: [G61], matrix: true },
  // mmdebstrap (as root) and two boots of a full systemd disk: kernel-matrix boots that image too.
  'harness/images/build-disk.int.test.ts': { images: ['debian-6.1-generic-systemd'], matrix: true },
};

/**
 * Long files that boot no guest: the sensor built for Debian 11's 5.10 in a bullseye container
 * (mmdebstrap and docker import of the build image: 2-3 minutes on a fresh machine).
 */
const LONG_WITHOUT_GUEST: readonly string[] = ['harness/agents/linux-kmod/kbuild-container.int.test.ts'];

/** The files `npm run test:matrix` runs and `npm test` leaves out (repository-relative). */
export const MATRIX_FILES: readonly string[] = [
  ...Object.keys(GUEST_TESTS).filter((f) => GUEST_TESTS[f]!.matrix),
  ...LONG_WITHOUT_GUEST,
];

/** The images the given files boot (repository-relative paths), each once, in declaration order. */
export function imagesFor(files: Iterable<string>): string[] {
  const names: string[] = [];
  for (const f of files) for (const n of GUEST_TESTS[f]?.images ?? []) if (!names.includes(n)) names.push(n);
  return names;
}
