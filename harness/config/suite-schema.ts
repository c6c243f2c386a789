import { z } from 'zod';
import { AGENT_KIND_NAMES } from '../agents/registry.js';
import { parseDuration } from '../util/duration.js';
import { kernelArgProblem } from './kernel-args.js';
import { gatePolicySchema } from '../results/policy-schema.js';

export { allowEntrySchema, gatePolicySchema, type AllowEntry, type GatePolicy } from '../results/policy-schema.js';

/**
 * Durations become timers, and Node fires a timer above 2^31-1 ms at once: bounded to what a
 * boot can use (1 s to 24 h; `min` lower where 0 means "none", as for settle).
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
const duration = (minMs = 1000) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use e.g. 90s, 2m, 1500ms)` });
      return z.NEVER;
    }
    if (ms < minMs || ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is out of range: from ${minMs === 0 ? '0s' : `${minMs / 1000}s`} to 24h` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * Names and versions become parts of file names (build caches, cell folders, run ids): letters,
 * digits and `._+~-`, starting with a letter or digit (so never `.`, `..` or an option), and
 * bounded (a file name holds 255 bytes, and a cell id joins several).
 */
export const MAX_NAME_LENGTH = 64;

/** How long an agent's self-test may run when the suite gives no timeout. */
export const DEFAULT_SELFTEST_TIMEOUT_MS = 120_000;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const version = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(
    z
      .string()
      .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
      .regex(SAFE_NAME, 'versions are letters, digits and . _ + ~ -, starting with a letter or digit'),
  );

export const buildSchema = z
  .object({
    version,
    /**
     * The build's folder, relative to the lab root. linux-kmod: module source (a Kbuild or
     * Makefile: built per kernel) or modules taken as built, one per kernel (`<release>/<module>.ko`).
     */
    source: z.string().optional(),
    /** linux-kmod only: the module as the image's own kernel package ships it (e.g. test_bpf); no source. */
    inTree: z.literal(true).optional(),
    /** Make variables of this build (linux-kmod: passed to kbuild as VAR=value), e.g. { SENSOR_VERSION: "2.2.0-slow" }. */
    make: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const contentSchema = z
  .object({
    version,
    path: z.string(),
  })
  .strict();

export const agentSchema = z
  .object({
    name: z
      .string()
      .max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'agent names are letters, digits, _ and -, starting with a letter or digit'),
    kind: z.enum(AGENT_KIND_NAMES),
    /** Kernel module name, when it differs from the agent name (a file name and a word in guest commands). */
    module: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,54}$/, 'a kernel module name: letters, digits, _ and -, at most 55')
      .optional(),
    /**
     * linux-kmod: the module parameter that is given the content file's guest path (default
     * `content`); `""` for a module that takes no content (the file is still installed).
     */
    contentParam: z.string().regex(/^[A-Za-z0-9_]{0,64}$/, 'a module parameter name: letters, digits and _').optional(),
    /** A guest command that exits 0 when the agent runs; the kind's default otherwise. */
    health: z.string().optional(),
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
          z.object({ command: z.string().min(1, 'an empty command'), timeout: duration().default(DEFAULT_SELFTEST_TIMEOUT_MS) }).strict(),
        ],
        { error: 'a guest command, or { command, timeout }' },
      )
      .transform((v) => (typeof v === 'string' ? { command: v, timeoutMs: DEFAULT_SELFTEST_TIMEOUT_MS } : { command: v.command, timeoutMs: v.timeout }))
      .optional()
      .describe(
        'The agent self-test: a guest command (shell on Linux, PowerShell on Windows), or { command, timeout }, run after the health check of every boot with the agent installed and printing TAP; every test point is recorded, and a failing point, bail out, missing or unmet plan, non-zero exit or timeout (default 2m) makes the boot unhealthy.',
      ),
    builds: z.array(buildSchema).min(1, 'at least one build is needed'),
  })
  .strict();

export const bootSchema = z
  .object({
    baseline: z.number().int().min(0).max(100).default(1),
    cycles: z.number().int().min(1).max(10_000).default(3),
    timeout: duration().default(90_000),
    /** How an agent cycle reboots: warm (the guest reboots inside the same VM) or cold (a new VM process). */
    reboot: z.enum(['warm', 'cold']).default('warm'),
    /** Consecutive failed boots after install that make a boot loop and stop the cell. */
    bootLoop: z.number().int().min(1).default(2),
    /** After ready, how long a crash still counts against the boot. */
    settle: duration(0).default(1000),
    /** A boot that prints nothing on the console for this long before it is ready is a hang (off when absent). */
    silence: duration().optional(),
    /** An oops is fatal, as a fault in a boot-start driver is on Windows (kernel oops=panic). */
    panicOnOops: z.boolean().default(true),
    /**
     * Extra kernel command-line words for every boot of the suite, after the lab's (e.g. a longer
     * RCU stall timeout). Arguments that would blind the crash capture are refused (config/kernel-args.ts).
     */
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
      .optional(),
  })
  .strict();

/** In-guest workloads run after every healthy agent boot, with and without the agent, interleaved. */
export const workloadsSchema = z
  .object({
    names: z.array(z.enum(['exec', 'open', 'fsync', 'tcp'])).min(1),
    iterations: z.number().int().min(1).default(200),
    batches: z.number().int().min(1).default(5),
    /** Rounds of (without the agent, with it) per boot. */
    rounds: z.number().int().min(1).default(2),
    /**
     * Under TCG, run the guest on an instruction clock (-icount) so that timings repeat on a
     * busy host (default). Off: wall-clock guest time, as under KVM.
     */
    instructionClock: z.boolean().default(true),
  })
  .strict();

/**
 * What a cell does to the agent, in order; each step is followed by the suite's boot cycles.
 * Written as `install`, `uninstall`, `rollback-content`, `{ update-content: "291" }`, `{ upgrade: "2.2.0" }`.
 */
export const lifecycleStepSchema = z.union([
  z.enum(['install', 'uninstall', 'rollback-content']).transform((action) => ({ action, version: undefined as string | undefined })),
  z.object({ 'update-content': version }).strict().transform((o) => ({ action: 'update-content' as const, version: o['update-content'] as string | undefined })),
  z.object({ upgrade: version }).strict().transform((o) => ({ action: 'upgrade' as const, version: o.upgrade as string | undefined })),
]);
export type LifecycleStep = z.infer<typeof lifecycleStepSchema>;

export const suiteSchema = z
  .object({
    /** Names the run folder (`<name>-<time>-<random>`): bounded like every name. */
    name: z.string().max(MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} characters`).regex(/^[A-Za-z0-9._-]+$/, 'suite names are letters, digits, ., _ and -'),
    /**
     * Content and build source paths must resolve inside the lab root (the folder holding suites/,
     * or the suite's own folder); `true` lets them point anywhere on the host.
     */
    allowOutside: z.boolean().optional(),
    description: z.string().optional(),
    /** Image names, globs (`linux/*`) or conditions (`kernel>=6.12`, `{ flavour: rt }`): see images/select.ts. */
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
      .min(1, 'at least one image is needed'),
    /** The agent under test; or `agents:`, several side by side (each cell runs one of them). */
    agent: agentSchema.optional(),
    agents: z.array(agentSchema).min(1).optional(),
    content: z.array(contentSchema).min(1, 'at least one content version is needed'),
    boot: bootSchema.default(bootSchema.parse({})),
    /** Narrow the matrix: only these content or build versions make cells (others serve lifecycle steps). */
    matrix: z
      .object({
        content: z.array(version).min(1, 'an empty list leaves no cells: leave matrix.content out to run every content version').optional(),
        builds: z.array(version).min(1, 'an empty list leaves no cells: leave matrix.builds out to run every build').optional(),
      })
      .strict()
      .optional(),
    workloads: workloadsSchema.optional(),
    /** Default: install, then the boot cycles. */
    lifecycle: z.array(lifecycleStepSchema).min(1).optional(),
    gate: gatePolicySchema.default(gatePolicySchema.parse({})),
    /** Cells run at once; default: one per host core. */
    concurrency: z.number().int().min(1).optional(),
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
