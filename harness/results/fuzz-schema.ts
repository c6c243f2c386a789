import { z } from 'zod';
import { crashRecordSchema } from './crash-record.js';
import { isoDateTime } from './iso-time.js';

/**
 * bootgate.fuzz/v1: <corpus>/fuzz.json, a content fuzzing run (`bootgate fuzz SUITE`): mutants of
 * seed content run through the agent's real interpreter in a real guest, one content load each.
 * Every distinct crash is kept, minimized, under crashes/<signature>/. Written atomically after
 * every crash and every 25 mutants, so a killed run resumes from it (`--corpus DIR`). Add optional
 * fields freely; renaming or removing one is a new schema version. schemas/fuzz.schema.json is
 * generated from this.
 */

export const fuzzEditSchema = z
  .object({
    kind: z.enum(['set-token', 'insert-token', 'delete-token', 'delete-line', 'insert-line', 'truncate', 'insert-bytes']),
    why: z.string().describe('The change, in words (e.g. `field 1 -> 21 (limit 1..21)`).'),
  })
  .catchall(z.unknown())
  .describe('One change from the seed (harness/fuzz/edits.ts): lines and tokens counted in the seed, from 0.');

export const fuzzConfirmSchema = z.object({
  run: z.string().describe('The run folder of the confirmation (a suite run of the minimized content), relative to the corpus folder.'),
  verdict: z.enum(['pass', 'fail', 'error']).describe('The gate\'s verdict on that run.'),
  bootLoop: z.boolean().describe('Every boot with the content installed crashed, up to the suite\'s boot-loop count: the content would boot-loop a machine.'),
  boots: z.number().int().min(0).describe('Boots with the content installed.'),
  crashedBoots: z.number().int().min(0),
  signature: z.string().optional().describe('The crash signature of the first crashed boot: the same as the fuzzer\'s when the boot crashes the same way.'),
});

export const fuzzCrashSchema = z.object({
  signature: z.string().describe('The crash signature (sha256 of the normalized title): one entry per distinct crash.'),
  crash: crashRecordSchema.describe('The crash record of the first mutant that crashed this way.'),
  mutant: z.number().int().min(0).describe('The index of that mutant (with the run\'s seed value it is made again).'),
  seed: z.string().describe('The seed content version it was made from.'),
  mutators: z.array(z.string()).describe('The mutators of its edits.'),
  hits: z.number().int().min(1).describe('Mutants that crashed with this signature.'),
  minimized: z
    .object({
      edits: z.array(fuzzEditSchema).describe('The smallest set of the mutant\'s edits that still crashes the same way.'),
      probes: z.number().int().min(0).describe('Content loads the minimizer spent.'),
      content: z.string().describe('The minimized content file, relative to the corpus folder.'),
      diff: z.string().describe('Its unified diff from the seed, relative to the corpus folder.'),
      record: z.string().describe('crash.json: the crash record and the edits, relative to the corpus folder.'),
    })
    .optional(),
  confirm: fuzzConfirmSchema.optional().describe('The minimized content installed and booted (a suite run): absent when not confirmed (--no-confirm, or interrupted).'),
});
export type FuzzCrash = z.infer<typeof fuzzCrashSchema>;

export const fuzzStatsSchema = z.object({
  mutants: z.number().int().min(0).describe('Mutants run (each one content load).'),
  accepted: z.number().int().min(0).describe('Mutants the agent loaded.'),
  refused: z.number().int().min(0).describe('Mutants the agent refused cleanly (counted, not kept).'),
  crashed: z.number().int().min(0).describe('Mutants that crashed the guest (or left a kernel report).'),
  distinctCrashes: z.number().int().min(0),
  restores: z.number().int().min(0).describe('Guests started again from the saved state after a crash.'),
  loadSeconds: z.number().min(0).describe('Time spent in mutant loads and restores (minimization and confirmation excluded).'),
  mutantsPerMinute: z.number().min(0),
  firstCrash: z.object({ mutants: z.number().int().min(1), seconds: z.number().min(0) }).optional().describe('When the first crash came: after how many mutants, and how many seconds of loads.'),
  bootSeconds: z.number().min(0).optional().describe('The guest\'s first boot to ready (agent installed, saved): what one boot costs on this machine.'),
});

export const fuzzSchema = z.object({
  schema: z.literal('bootgate.fuzz/v1'),
  id: z.string(),
  status: z.enum(['running', 'finished', 'interrupted', 'error']).describe('finished: the budget was spent; interrupted: Ctrl-C (resume with --corpus); error: the lab failed.'),
  error: z.string().optional(),
  suite: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  image: z.string(),
  agent: z.object({ name: z.string(), kind: z.string(), build: z.string() }),
  template: z.object({ file: z.string(), sha256: z.string() }),
  seeds: z.array(z.object({ version: z.string(), path: z.string(), sha256: z.string() })).min(1),
  seedValue: z.number().int().describe('The PRNG seed: the same seed value, seeds and template make the same mutants.'),
  budget: z.object({ mutants: z.number().int().min(1).optional(), seconds: z.number().min(0).optional() }),
  startedAt: isoDateTime(),
  endedAt: isoDateTime().optional(),
  stats: fuzzStatsSchema,
  mutators: z.record(z.string(), z.object({ used: z.number().int().min(0), crashed: z.number().int().min(0) })).describe('Per mutator: mutants it took part in, and of those, how many crashed.'),
  crashes: z.array(fuzzCrashSchema),
  gate: z
    .object({
      verdict: z.enum(['pass', 'fail', 'error']),
      exitCode: z.number().int(),
      maxCrashes: z.number().int().min(0),
      reasons: z.array(z.string()),
    })
    .optional()
    .describe('The judge\'s verdict (gate/fuzz-verdict.ts) under the suite\'s gate: distinct crashes against maxCrashes.'),
});
export type FuzzResult = z.infer<typeof fuzzSchema>;
