import { z } from 'zod';
import { recoveryRecordSchema } from './recovery-record.js';
import { gatePolicySchema } from './policy-schema.js';
import { crashRecordSchema } from './crash-record.js';
import { isoDateTime } from './iso-time.js';
import { selftestSchema } from './selftest-record.js';

/**
 * bootgate.run/v1: the contract with release gates. Add optional fields freely; renaming or
 * removing one is a new schema version. schemas/run.schema.json is generated from this.
 */
export const verdictSchema = z.enum(['pass', 'fail', 'error']);
export type Verdict = z.infer<typeof verdictSchema>;

export const cycleSchema = z.object({
  /** 1-based within its phase. */
  index: z.number().int(),
  phase: z.enum(['baseline', 'agent']),
  /** cold: a new VM process; warm: the guest rebooted inside the same VM. */
  kind: z.enum(['cold', 'warm']),
  /** A warm boot: the guest's reboot reset the machine in place, or ended its process and the same disk booted in a new one (boot.warmReboot). */
  restart: z.enum(['reset', 'new-process']).optional(),
  booted: z.boolean(),
  /** ready: marker, SSH and health (and the self-test) all answered; unhealthy: health or self-test failed; crash, timeout: the agent's problem or not is judged per cell; lab-error: the lab failed. */
  outcome: z.enum(['ready', 'crash', 'timeout', 'unhealthy', 'lab-error']),
  startedAt: isoDateTime(),
  /** From power-on or reset to the guest's ready marker, host clock. */
  bootMs: z.number().optional(),
  /** From power-on or reset to SSH and health answering. */
  readyMs: z.number().optional(),
  /** Kernel uptime when the ready marker was printed: independent of firmware and QEMU start. */
  guestReadyUptimeMs: z.number().optional(),
  bootId: z.string().optional(),
  crash: crashRecordSchema.optional(),
  health: z.object({ ok: z.boolean(), output: z.string() }).optional(),
  /** The agent's self-test in this boot (the suite's `selftest:`), read as TAP; not ok makes the boot `unhealthy`. */
  selftest: selftestSchema.optional(),
  error: z.string().optional(),
  /** Relative to the run folder. */
  consoleLog: z.string(),
  /** Where the boot's time went: host-side firmware, guest kernel and init, agent, readiness checks. */
  phases: z
    .object({
      firmwareMs: z.number().optional(),
      decompressMs: z.number().optional(),
      kernelMs: z.number().optional(),
      initMs: z.number().optional(),
      agentToReadyMs: z.number().optional(),
      readyCheckMs: z.number().optional(),
    })
    .optional(),
  /** In-guest workload samples (ns per operation), without the agent (a) and with it (b), taken in this boot. */
  workloads: z.record(z.string(), z.object({ a: z.array(z.number()), b: z.array(z.number()) })).optional(),
  /** Memory in this boot, without the agent (a) and with it (b), in KiB; the agent's own footprint in bytes. */
  memory: z
    .object({
      memAvailableKiB: z.object({ a: z.number(), b: z.number() }),
      slabKiB: z.object({ a: z.number(), b: z.number() }),
      agentBytes: z.number().optional(),
    })
    .optional(),
  /** Why the workloads of this boot gave no samples. */
  workloadError: z.string().optional(),
  /** The lifecycle step this boot follows (1-based), when the suite has more than one. */
  step: z.number().int().optional(),
});
export type CycleResult = z.infer<typeof cycleSchema>;

export const ruleResultSchema = z.object({
  rule: z.string(),
  threshold: z.union([z.number(), z.string()]).optional(),
  actual: z.union([z.number(), z.string()]).optional(),
  outcome: z.enum(['pass', 'fail', 'skipped', 'error']),
  reason: z.string(),
});

/** What one run of a cell sets, from its start to its verdict: a retried cell keeps these per attempt. */
/**
 * A baseline shared by the cells of one image (issue 12): booted once per run, its ready guest
 * saved, and every cell of the image started from that state. Its boots are in `cycles`, once;
 * each cell that used it carries a copy in its own `baseline` (same console files) so that a cell
 * is judged and read on its own, and crash groups count them once.
 */
export const sharedBaselineSchema = z.object({
  id: z.string(),
  image: z.string(),
  /** The retry of the cells it is for (from 1): a failed baseline is booted again for their next attempt. */
  attempt: z.number().int().min(1),
  cycles: z.array(cycleSchema),
  /** The guest saved after its last ready boot; absent when a boot failed or the save did. */
  state: z.object({ bytes: z.number().int(), saveMs: z.number().int() }).optional(),
  error: z.string().optional(),
});
export type SharedBaselineResult = z.infer<typeof sharedBaselineSchema>;

const cellRunShape = {
  /** The shared baseline this cell started from (run.baselines), instead of booting its own; ms to restore and reach SSH. */
  baselineFrom: z.object({ id: z.string(), restoreMs: z.number().int().optional() }).optional(),
  /**
   * The runner ended this cell before it could be judged on its boots: the lab failed (a VM, the
   * host, SSH before readiness) or the run was interrupted. The judge gives such a cell `error`.
   */
  stopped: z
    .object({ cause: z.enum(['lab', 'interrupted']), message: z.string() })
    .optional()
    .describe('The runner ended this cell before it could be judged on its boots: the lab failed or the run was interrupted. The judge gives such a cell error.'),
  /** Set by the judge (gate/) when the cell ends; never by the runner or the store. */
  verdict: verdictSchema.optional(),
  /** One line: why the verdict. */
  reason: z.string().optional(),
  bootLoop: z.boolean().optional(),
  install: z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() }).optional(),
  /** Every lifecycle step the cell ran (install, upgrade, update-content, rollback-content, uninstall). */
  steps: z
    .array(z.object({ index: z.number().int(), action: z.string(), version: z.string().optional(), ok: z.boolean(), ms: z.number(), error: z.string().optional() }))
    .optional(),
  baseline: z.array(cycleSchema),
  cycles: z.array(cycleSchema),
  rules: z.array(ruleResultSchema).optional(),
  /**
   * What the agent costs in this cell: per in-guest workload, the ratio of medians with the agent
   * over without it (same boots, interleaved), its 95% bootstrap interval and sample counts.
   */
  overhead: z
    .object({
      workloads: z.array(
        z.object({
          workload: z.string(),
          ratio: z.number(),
          ciLow: z.number(),
          ciHigh: z.number(),
          pct: z.number(),
          pctUpper: z.number(),
          nA: z.number().int(),
          nB: z.number().int(),
          significant: z.boolean(),
          method: z.string(),
        }),
      ),
      memory: z.object({ slabKiB: z.number(), memAvailableKiB: z.number(), agentBytes: z.number().optional() }).optional(),
    })
    .optional(),
  startedAt: isoDateTime().optional(),
  endedAt: isoDateTime().optional(),
};

/** One earlier attempt of a cell, frozen when it ended in a lab error and was retried. */
export const attemptSchema = z.object({ attempt: z.number().int().min(1), ...cellRunShape });
export type CellAttempt = z.infer<typeof attemptSchema>;

export const cellSchema = z.object({
  id: z.string(),
  image: z.object({
    name: z.string(),
    kernelRelease: z.string().optional(),
    recipeHash: z.string().optional(),
    /** How the kernel was started: at its PVH entry (unpacked by the lab), as the packaged bzImage, as an arm64 Image (QEMU's -kernel on the virt machine), or by UEFI firmware from the disk. Absent in runs from before it was recorded. */
    entry: z.enum(['pvh', 'bzimage', 'image', 'uefi']).optional(),
  }),
  agent: z.object({
    name: z.string(),
    kind: z.string(),
    build: z.string(),
    /** Where the artifact for this image came from: a build's vermagic, `prebuilt: ...`, `in-tree from <package> <version>: ...`. */
    artifact: z.string().optional(),
  }),
  content: z.object({ version: z.string(), sha256: z.string().optional() }),
  status: z.enum(['pending', 'running', 'done']),
  ...cellRunShape,
  /** Which copy of the cell this is when the suite repeats cells (`repeat`), from 1. */
  repeat: z.number().int().min(1).optional(),
  /** This is attempt N of the cell (from 1): earlier attempts ended in a lab error and were retried (`boot.retries`). */
  attempt: z.number().int().min(1).optional(),
  /** Earlier attempts, oldest first; the verdict above is the last attempt's, and the gate counts it alone. */
  attempts: z.array(attemptSchema).optional(),
  recovery: recoveryRecordSchema.optional().describe('The recovery drill after this cell\'s boot loop (suite recover:): each method tried on a copy of the crashed machine, whether it recovered and how long it took. The verdict does not depend on it.'),
});
export type CellResult = z.infer<typeof cellSchema>;

export const crashGroupSchema = z.object({
  signature: z.string(),
  title: z.string(),
  class: z.string(),
  module: z.string().optional(),
  count: z.number().int(),
  hits: z.array(z.object({ cell: z.string(), phase: z.string(), cycle: z.number().int() })),
  excerpt: z.string().optional(),
});

/** A run id names the run's folder: one file name, at most 255 bytes, no slash or NUL. */
const runIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^/\u0000]+$/, 'a run id is a folder name: no slash or NUL')
  .refine((s) => s !== '.' && s !== '..' && Buffer.byteLength(s) <= 255, 'a run id is a folder name of at most 255 bytes');

export const runSchema = z.object({
  schema: z.literal('bootgate.run/v1'),
  id: runIdSchema,
  status: z.enum(['running', 'finished', 'interrupted']),
  suite: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  host: z.object({ hostname: z.string(), platform: z.string(), cpus: z.number(), memoryMiB: z.number(), provider: z.string(), accel: z.string() }),
  versions: z.object({
    bootgate: z.string(),
    node: z.string(),
    qemu: z.string().optional(),
    // The docker provider: dockerd's version and the base image the containers were made from.
    docker: z.string().optional(),
    dockerImage: z.string().optional(),
  }),
  startedAt: isoDateTime(),
  endedAt: isoDateTime().optional(),
  summary: z.object({
    cells: z.number().int(),
    pass: z.number().int(),
    fail: z.number().int(),
    error: z.number().int(),
    pending: z.number().int(),
    /** The judge's verdict on the run under the suite's policy, set when the run ends (the same as gate.json's). */
    verdict: verdictSchema.optional(),
    exitCode: z.number().int().optional(),
  }),
  cells: z.array(cellSchema),
  crashes: z.array(crashGroupSchema),
  /** Shared baselines booted by this run (boot.sharedBaseline), each once; cells name theirs in baselineFrom. */
  baselines: z.array(sharedBaselineSchema).optional().describe('Shared baselines booted by this run, each once; cells name theirs in baselineFrom.'),
  /**
   * The part of the suite's matrix this run took (`--cells`, `--shard`), and every cell the
   * shards split (the matrix as --cells narrowed it), in order, so that `bootgate merge` can tell
   * that shards cover it once. Absent in older runs.
   */
  selection: z
    .object({
      matrix: z.array(z.string()),
      cells: z.array(z.string()).optional(),
      shard: z.object({ index: z.number().int().min(1), total: z.number().int().min(1) }).optional(),
      boots: z.number().int().optional(),
      cycles: z.number().int().min(1).optional().describe('Boot cycles per cell when the run took its own number instead of the suite\'s boot.cycles (a rollout ring\'s soak).'),
    })
    .optional()
    .describe('The part of the suite matrix this run took (--cells, --shard) and the whole matrix in order, for bootgate merge.'),
  /** Set by `bootgate run --queue`: the cells ran on workers of this Redis queue; `--resume` re-attaches to their jobs there. */
  queue: z
    .object({ url: z.string().describe('The Redis URL, its password replaced by ***.') })
    .optional()
    .describe('Set by bootgate run --queue: the Redis queue whose workers ran the cells (password left out); --resume re-attaches to its jobs.'),
  /** Set by `bootgate merge`: the runs this one was made from. */
  mergedFrom: z
    .array(z.object({ id: z.string(), hostname: z.string(), startedAt: isoDateTime(), endedAt: isoDateTime().optional(), cells: z.number().int(), shard: z.object({ index: z.number().int(), total: z.number().int() }).optional() }))
    .optional()
    .describe('Set by bootgate merge: the runs this one was made from.'),
  /** The suite's gate policy (defaults filled in): what `bootgate gate` applies when no --policy is given. Absent in runs from before it was stored. */
  gate: gatePolicySchema.optional().describe('The suite gate policy (defaults filled in): what `bootgate gate` applies when no --policy is given.'),
});
export type RunResult = z.infer<typeof runSchema>;
