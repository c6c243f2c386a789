import { z } from 'zod';
import { AGENT_KIND_NAMES } from '../agents/registry.js';
import { PROVIDER_NAMES } from '../providers/registry.js';
import { DURATION_PATTERN, parseDuration } from '../util/duration.js';
import { kernelArgProblem } from './kernel-args.js';
import { gatePolicySchema } from '../results/policy-schema.js';
import { RECOVERY_METHODS } from '../results/recovery-record.js';

export { allowEntrySchema, gatePolicySchema, type AllowEntry, type GatePolicy } from '../results/policy-schema.js';

/**
 * Field descriptions: every field of a suite says what it does for the person writing the file
 * (its unit and default), with `.describe()` next to its type, here and in results/policy-schema.ts
 * (the `gate:` fields). They become the hover text and completion of schemas/suite.schema.json
 * (`npm run schemas`); a test fails on a field without one. Adding a field is one line:
 * `name: z.string().optional().describe('What it does. Default ...'),`.
 */

/**
 * Durations become timers, and Node fires a timer above 2^31-1 ms at once: bounded to what a
 * boot can use (1 s to 24 h; `min` lower where 0 means "none", as for settle). Written as text
 * in the grammar of util/duration.ts (90s, 2m, 1500ms, 1h) or a number of seconds; the string
 * pattern and the number's bounds are in the schema, so the published JSON Schema carries them.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
const duration = (minMs = 1000) => {
  const range = `out of range: from ${minMs === 0 ? '0s' : `${minMs / 1000}s`} to 24h`;
  return z
    .union([
      z.string().regex(DURATION_PATTERN, 'not a duration (use e.g. 90s, 2m, 1500ms, 1h, or a number of seconds)'),
      z.number().min(minMs / 1000, range).max(MAX_DURATION_MS / 1000, range),
    ])
    .transform((v, ctx) => {
      const ms = parseDuration(v)!;
      if (ms < minMs || ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is ${range}` });
        return z.NEVER;
      }
      return ms;
    });
};
const DURATION_TEXT = 'A duration such as 90s, 2m, 1500ms or 1h, or a number of seconds';

/**
 * Names and versions become parts of file names (build caches, cell folders, run ids): letters,
 * digits and `._+~-`, starting with a letter or digit (so never `.`, `..` or an option), and
 * bounded (a file name holds 255 bytes, and a cell id joins several).
 */
export const MAX_NAME_LENGTH = 64;

/** How long an agent's self-test may run when the suite gives no timeout. */
export const DEFAULT_SELFTEST_TIMEOUT_MS = 120_000;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const versionText = z
  .string()
  .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
  .regex(SAFE_NAME, 'versions are letters, digits and . _ + ~ -, starting with a letter or digit');
// YAML reads `version: 291` as a number; the text is checked again after String() (1e+21, -1).
const version = z
  .union([versionText, z.number().min(0)])
  .transform((v) => String(v))
  .pipe(versionText);

export const buildSchema = z
  .object({
    version: version.describe('The build\'s version, named in cell ids and results: letters, digits and . _ + ~ -, starting with a letter or digit, at most 64 characters.'),
    source: z
      .string()
      .optional()
      .describe(
        'The build\'s folder, relative to the lab root (inside it unless allowOutside: true). linux-kmod: module source with a Kbuild or Makefile (built against each image\'s kernel headers), or modules as built, one per kernel (<kernel release>/<module>.ko). linux-ebpf: a folder whose Makefile builds the loader and its BPF objects. windows-driver: the folder holding the .sys (and .inf, .cat).',
      ),
    inTree: z.literal(true).optional().describe('linux-kmod only: take the module from the image\'s own kernel package (e.g. test_bpf) instead of a source folder.'),
    make: z.record(z.string(), z.string()).optional().describe('Make variables for this build (linux-kmod: passed to kbuild as VAR=value), e.g. { SENSOR_EXTRA_NS: "1000000" }.'),
  })
  .strict();

export const contentSchema = z
  .object({
    version: version.describe('The content version, named in cell ids and results: letters, digits and . _ + ~ -, starting with a letter or digit, at most 64 characters.'),
    path: z.string().describe('The content file, relative to the lab root (inside it unless allowOutside: true); a regular file. Installed where the agent reads it.'),
  })
  .strict();

export const agentSchema = z
  .object({
    name: z
      .string()
      .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'agent names are letters, digits, _ and -, starting with a letter or digit')
      .describe('The agent\'s name, in cell ids, guest paths and results: letters, digits, _ and -, starting with a letter or digit, at most 64 characters.'),
    kind: z.enum(AGENT_KIND_NAMES).describe('What the agent is: linux-kmod (a kernel module), linux-ebpf (an eBPF program and its loader) or windows-driver (a Windows kernel driver).'),
    // A file name and a word in guest commands: bounded and plain.
    module: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,54}$/, 'a kernel module name: letters, digits, _ and -, at most 55')
      .optional()
      .describe('The kernel module\'s name, when it differs from the agent name: letters, digits, _ and -, at most 55 characters.'),
    contentParam: z
      .string()
      .regex(/^[A-Za-z0-9_]{0,64}$/, 'a module parameter name: letters, digits and _')
      .optional()
      .describe('linux-kmod only: the module parameter given the content file\'s path in the guest. Default content; "" for a module that takes no content (the file is still installed).'),
    health: z
      .string()
      .optional()
      .describe('A guest command (shell; PowerShell on Windows) that exits 0 when the agent runs, run after every boot. Default: the kind\'s own check (linux-kmod: the module is loaded; linux-ebpf: its programs are attached; windows-driver: its service is RUNNING).'),
    /**
     * The agent's own checks: a guest command (shell on Linux, PowerShell on Windows) run after the
     * health check of every boot with the agent installed, printing TAP. Each test point is
     * recorded in run.json; a failing point, a bail out, a missing or unmet plan, a non-zero exit
     * or the timeout (default 2m) makes the boot unhealthy.
     */
    selftest: z
      .union(
        [
          z.string().min(1, 'an empty command'),
          z.object({ command: z.string().min(1, 'an empty command').describe('The self-test command line (shell on Linux, PowerShell on Windows), printing TAP.'), timeout: duration().default(DEFAULT_SELFTEST_TIMEOUT_MS).describe(`How long the self-test may run. ${DURATION_TEXT}, from 1s to 24h. Default 2m.`) }).strict(),
        ],
        { error: 'a guest command, or { command, timeout }' },
      )
      .transform((v) => (typeof v === 'string' ? { command: v, timeoutMs: DEFAULT_SELFTEST_TIMEOUT_MS } : { command: v.command, timeoutMs: v.timeout }))
      .optional()
      .describe(
        'The agent self-test: a guest command (shell on Linux, PowerShell on Windows), or { command, timeout }, run after the health check of every boot with the agent installed and printing TAP; every test point is recorded, and a failing point, bail out, missing or unmet plan, non-zero exit or timeout (default 2m) makes the boot unhealthy.',
      ),
    safeMode: z
      .object({
        param: z
          .string()
          .max(256)
          .regex(/^[A-Za-z0-9_]{1,64}=[^\s'"\\]*$/, 'a module parameter as name=value, e.g. safe_mode=1 (no spaces or quotes)')
          .describe('The module parameter, as name=value (e.g. safe_mode=1): the operator adds <module>.<name>=<value> to the kernel command line for one boot, and modprobe passes it to the module.'),
      })
      .strict()
      .optional()
      .describe('linux-kmod only: the agent\'s own safe mode, a module parameter that loads it without its content, for the agent-safe-mode recovery drill. Absent: the agent has none.'),
    recoveries: z
      .array(z.enum(RECOVERY_METHODS))
      .min(1)
      .optional()
      .describe('The recoveries this agent supports, for a suite\'s recover: drills: module-blacklist, content-rollback, agent-safe-mode (needs safeMode:), rescue-boot (full-disk images). Default: every one its kind can take a machine through (linux-kmod: module-blacklist, content-rollback, rescue-boot, and agent-safe-mode when safeMode: is given; windows-driver: none yet).'),
    builds: z.array(buildSchema).min(1, 'at least one build is needed').describe('The agent\'s builds under test, at least one: each is a column of the matrix.'),
  })
  .strict();

export const bootSchema = z
  .object({
    baseline: z.number().int().min(0).max(100).default(1).describe('Boots of each image without the agent, before install: the reference for boot time, and proof that the image itself boots. 0 to 100, default 1.'),
    cycles: z.number().int().min(1).max(10_000).default(3).describe('Boots after install and after each lifecycle step. 1 to 10000, default 3.'),
    timeout: duration().prefault('90s').describe(`How long a boot may take to be ready (console marker, SSH, health) before it counts as failed. ${DURATION_TEXT}, from 1s to 24h. Default 90s.`),
    reboot: z.enum(['warm', 'cold']).default('warm').describe('How an agent cycle reboots: warm (the guest reboots inside the same VM) or cold (a new VM process on the same disk). Default warm.'),
    sharedBaseline: z.boolean().default(true).describe('Boot the baselines of an image once per run and start every cell of that image from the saved, ready guest (a QEMU migration stream on a fresh overlay), instead of each cell booting its own. Applies to images with two or more cells in the run that boot their kernel directly; run.json says which baseline each cell used. Default true.'),
    retries: z.number().int().min(0).max(5).default(1).describe('Times a cell whose verdict is error (the lab failed: QEMU died, SSH never answered, the host ran out of disk) runs again from its start; a fail is never retried. Every attempt is kept in run.json; the gate counts the last. 0 to 5, default 1.'),
    bootLoop: z.number().int().min(1).default(2).describe('Consecutive failed boots after install that make a boot loop: the cell fails and stops booting. Default 2.'),
    settle: duration(0).prefault('1s').describe(`After a boot is ready, how long a crash still counts against it. ${DURATION_TEXT}, from 0 to 24h. Default 1s.`),
    soak: duration(0).prefault('15s').describe(`How long a boot with the agent installed is watched after it is ready, its health checked again at the end: a crash, a hung task or a lockup in it fails that boot (the lab sets the kernel's watchdogs to report within about 14 s). ${DURATION_TEXT}, from 0 (off: settle only) to 24h. Default 15s, added to every agent boot.`),
    silence: duration().optional().describe(`A boot that prints nothing on the console for this long before it is ready is a hang. ${DURATION_TEXT}, from 1s to 24h. Off when absent.`),
    kernelEntry: z.enum(['pvh', 'bzimage']).default('pvh').describe('How QEMU starts an image\'s kernel: pvh (the kernel unpacked once by the lab, started at its PVH entry point: no real-mode set-up, no decompression in the guest) or bzimage (the packaged file with its own decompressor, as a boot loader starts it). The same kernel, command line and initramfs either way; a kernel without a PVH entry boots as a bzImage; an arm64 image always boots its Image (PVH is x86 only). Default pvh.'),
    warmReboot: z.enum(['auto', 'reset', 'new-process']).default('auto').describe('What a reboot the guest asks for (a warm reboot: the agent\'s reboot cycle) does to the machine. reset: QEMU resets it in place (memory and firmware state kept, as on hardware). new-process: QEMU exits at the guest\'s reset and the same disk boots in a new QEMU process; the guest runs its own reboot path either way. auto: new-process under TCG, where a reset in place keeps the translated code of the old kernel and the new kernel boots about 15% slower as it overwrites it; reset under KVM, and for Windows guests (their UEFI variables and TPM state are not tried in a new process) and the docker provider. Default auto.'),
    // oops=panic: a fault in an agent stops the machine, as one in a boot-start driver does on Windows.
    panicOnOops: z.boolean().default(true).describe('Make a kernel oops fatal (kernel argument oops=panic), as a fault in a boot-start driver is on Windows. Default true.'),
    kernelArgs: z
      .array(
        z
          .string()
          .max(1024)
          .regex(/^[^\s'"\\]+$/, 'one kernel argument per entry: no spaces or quotes')
          .superRefine((a, ctx) => {
            const why = kernelArgProblem(a);
            if (why) ctx.addIssue({ code: 'custom', message: `refused: ${why}` });
          }),
      )
      .max(64)
      .optional()
      .describe('Extra kernel command-line arguments for every boot, one per entry, after the lab\'s (e.g. rcupdate.rcu_cpu_stall_timeout=60). Arguments that would hide crashes (console, loglevel, panic, oops, ...) are refused. At most 64.'),
  })
  .strict();

/** In-guest workloads run after every healthy agent boot, with and without the agent, interleaved. */
export const workloadsSchema = z
  .object({
    names: z.array(z.enum(['exec', 'open', 'fsync', 'tcp'])).min(1).describe('The workloads to time: exec (start a program), open (open and close a file), fsync (write and sync), tcp (loopback connections). At least one.'),
    iterations: z.number().int().min(1).default(200).describe('Operations in one timed batch. Default 200.'),
    batches: z.number().int().min(1).default(5).describe('Timed batches of each workload, per round. Default 5.'),
    rounds: z.number().int().min(1).default(2).describe('Rounds per boot, each one without the agent, then with it. Default 2.'),
    instructionClock: z.boolean().default(true).describe('Under TCG (no KVM), run the guest on an instruction clock (-icount) so that timings repeat on a busy host. false: wall-clock guest time, as under KVM. Default true.'),
  })
  .strict();

/**
 * What a cell does to the agent, in order; each step is followed by the suite's boot cycles.
 * Written as `install`, `uninstall`, `rollback-content`, `{ update-content: "291" }`, `{ upgrade: "2.2.0" }`.
 */
export const lifecycleStepSchema = z.union(
  [
    z.enum(['install', 'uninstall', 'rollback-content']).transform((action) => ({ action, version: undefined as string | undefined })),
    z
      .object({ 'update-content': version.describe('Install this content version (one of the suite\'s content:) over the current one.') })
      .strict()
      .transform((o) => ({ action: 'update-content' as const, version: o['update-content'] as string | undefined })),
    z
      .object({ upgrade: version.describe('Upgrade the agent to this build version (one of its builds:).') })
      .strict()
      .transform((o) => ({ action: 'upgrade' as const, version: o.upgrade as string | undefined })),
  ],
  { error: 'a lifecycle step is install, uninstall, rollback-content, { update-content: VERSION } or { upgrade: VERSION }' },
);
export type LifecycleStep = z.infer<typeof lifecycleStepSchema>;

/**
 * A staged rollout (`bootgate rollout SUITE`): content goes out ring by ring, each ring a slice of
 * the matrix by image, the next ring receiving it only when the gate passed the ring before.
 */
export const ringSchema = z
  .object({
    name: z
      .string()
      .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
      .regex(SAFE_NAME, 'ring names are letters, digits and . _ + ~ -, starting with a letter or digit')
      .describe('The ring\'s name (canary, early, broad, ...), in the rollout JSON and its messages.'),
    images: z
      .union([z.number().int().min(1), z.literal('all'), z.array(z.string().min(1)).min(1)], { error: 'a number of images, all, or a list of image names' })
      .describe('The images this ring reaches, earlier rings\' included: a number (the first N of the suite\'s images, in its order), all, or a list of image names (added to the earlier rings\'). The last ring must reach every image.'),
    soak: z.number().int().min(1).max(10_000).optional().describe('Boot cycles per cell in this ring: how long it soaks before the gate decides. 1 to 10000, default boot.cycles.'),
  })
  .strict();

export const rolloutSpecSchema = z
  .object({
    content: z.array(version).min(1).optional().describe('The content versions to roll out, one after another, in this order. Default: the matrix\'s content versions.'),
    weights: z
      .record(z.string(), z.number().int().min(0).max(1_000_000_000))
      .optional()
      .describe('Machines each image stands for in the simulated fleet, by image name, e.g. { debian-6.1-generic: 40000 }: the blast radius is counted in these. Default 1 per image.'),
    rings: z.array(ringSchema).min(1, 'at least one ring is needed').max(16).describe('The rings, in the order they receive the content; each is promoted only when the ring before passed the gate.'),
  })
  .strict();
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;

export const suiteSchema = z
  .object({
    // Names the run folder (`<name>-<time>-<random>`): bounded like every name.
    name: z
      .string()
      .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
      .regex(/^[A-Za-z0-9._-]+$/, 'suite names are letters, digits, ., _ and -')
      .describe('The suite\'s name; it names the run folder (results/<name>-<time>-<random>). Letters, digits, ., _ and -, at most 64 characters.'),
    allowOutside: z
      .boolean()
      .optional()
      .describe('Let content files and build sources lie outside the lab root (the folder holding suites/, or the suite\'s own folder). Default false: they must resolve inside it, symbolic links followed.'),
    description: z.string().optional().describe('What the suite checks, in words, for people who read it.'),
    images: z
      .array(
        z.union([
          z.string(),
          z.record(z.string(), z.union([z.string(), z.number()])).transform((o) =>
            Object.entries(o)
              .map(([k, v]) => (/^(>=|<=|!=|>|<|=)/.test(String(v)) ? `${k}${v}` : `${k}=${v}`))
              .join(','),
          ),
        ]),
      )
      .min(1, 'at least one image is needed')
      .describe('The images to boot, at least one: names (debian-6.1-generic), globs (linux/*, debian-6.12-*), conditions (kernel>=6.12, kernel<6.0, flavour=rt, distro=debian-13, arch=amd64, tag=systemd) or maps of them ({ userland: disk }). bootgate images list shows the names.'),
    agent: agentSchema.optional().describe('The agent under test. Give agent: or agents:, not both.'),
    agents: z.array(agentSchema).min(1).optional().describe('Several agents side by side, each cell running one of them. Give agent: or agents:, not both.'),
    content: z.array(contentSchema).min(1, 'at least one content version is needed').describe('The content versions (data the agent reads: rules, channel files), at least one: each is a column of the matrix.'),
    boot: bootSchema.prefault({}).describe('How each cell boots: baseline boots, cycles, timeouts, warm or cold reboots, kernel arguments.'),
    matrix: z
      .object({
        content: z
          .array(version)
          .min(1, 'an empty list leaves no cells: leave matrix.content out to run every content version')
          .optional()
          .describe('Only these content versions make cells. Default: every content version.'),
        builds: z
          .array(version)
          .min(1, 'an empty list leaves no cells: leave matrix.builds out to run every build')
          .optional()
          .describe('Only these build versions make cells. Default: every build.'),
      })
      .strict()
      .optional()
      .describe('Narrow the matrix (image x agent x build x content): versions left out still serve lifecycle steps.'),
    workloads: workloadsSchema.optional().describe('In-guest workloads timed with the agent paused and running, after every healthy agent boot: what the agent costs. Off when absent.'),
    lifecycle: z
      .array(lifecycleStepSchema)
      .min(1)
      .optional()
      .describe('What each cell does to the agent, in order, each step followed by the boot cycles: install (first, once), { update-content: VERSION }, rollback-content, { upgrade: VERSION }, uninstall. Default: [install].'),
    gate: gatePolicySchema.prefault({}).describe('The release gate each cell is judged by: boot success, crashes, overhead, allowed known crashes.'),
    repeat: z.number().int().min(1).max(100).default(1).describe('Run every cell this many times, each judged and counted: for hunting flakes (retries are for lab errors). Copies 2 and on have ids ending in @repeat-N. 1 to 100, default 1.'),
    provider: z.enum(PROVIDER_NAMES).optional().describe('The VM backend: qemu (QEMU processes on this host) or docker (each VM\'s QEMU in a Docker container, docs/docker-provider.md). bootgate run --provider overrides. Default qemu.'),
    concurrency: z.number().int().min(1).optional().describe('Cells that run at once. Default: one per host core (bootgate run --concurrency overrides).'),
    recover: z
      .object({
        methods: z.array(z.enum(RECOVERY_METHODS)).min(1).optional().describe('The recoveries to try, each on its own copy of the crashed machine: module-blacklist (boot with module_blacklist=<module>), content-rollback (boot that way, roll the content back over SSH, boot normally), agent-safe-mode (boot with the agent\'s safeMode parameter, roll the content back, boot normally), rescue-boot (full-disk images: a rescue shell, init=/bin/sh, reached on the serial console, removes the agent; boot normally without it). windows-safe-mode has no drill yet. Default: every one the agent supports.'),
        content: version.optional().describe('The content version content-rollback installs. Default: the first of the suite\'s content versions that is not the cell\'s.'),
      })
      .strict()
      .optional()
      .describe('Recovery drills after a boot loop: each recovery a customer would try, in a real guest, recorded in run.json (cells[].recovery) with whether it worked and how long it took from the first crash to a healthy boot. Off when absent.'),
    rollout: rolloutSpecSchema.optional().describe('A staged rollout for bootgate rollout SUITE: rings of images that receive the content one after another, each only when the ring before passed the gate, with a weight of machines per image. bootgate run ignores it.'),
  })
  .strict();

export type Suite = z.infer<typeof suiteSchema>;
export type Agent = z.infer<typeof agentSchema>;

/** The suite's agents with the path of each in the file (agent: or agents[i]), for messages. */
export function suiteAgents(s: Pick<Suite, 'agent' | 'agents'>): { agent: Agent; path: (string | number)[] }[] {
  if (s.agents) return s.agents.map((agent, i) => ({ agent, path: ['agents', i] }));
  return s.agent ? [{ agent: s.agent, path: ['agent'] }] : [];
}
export type BootPolicy = z.infer<typeof bootSchema>;
