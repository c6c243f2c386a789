import { z } from 'zod';
import { crashRecordSchema } from './crash-record.js';
import { isoDateTime } from './iso-time.js';
import { cycleSchema, verdictSchema } from './schema.js';

/**
 * bootgate.events/v1: one line of the event stream `bootgate run --reporter json` writes (NDJSON:
 * one JSON object a line, written as it happens). Every line says its `type`, this `version`
 * and when it was written (`at`). Add optional fields and new types freely; renaming or removing
 * one is a new version. schemas/events.schema.json is generated from this.
 */
export const EVENTS_VERSION = 'bootgate.events/v1';

const line = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({
    type: z.literal(type),
    version: z.literal(EVENTS_VERSION),
    /** When the line was written (host clock). */
    at: isoDateTime(),
    ...shape,
  });

const bootKey = {
  /** The cell id, as in run.json cells[].id. */
  cell: z.string(),
  phase: cycleSchema.shape.phase,
  /** 1-based within its phase: run.json's cycle `index`. */
  cycle: z.number().int(),
  /** A boot of a shared baseline (run.json baselines[].id), which the cells of its image start from; `cell` is then `baseline:<id>`. */
  baseline: z.string().optional(),
};

export const eventLineSchema = z.discriminatedUnion('type', [
  line('prepare', { message: z.string() }),
  line('run-start', {
    suite: z.string(),
    runId: z.string(),
    runDir: z.string(),
    cells: z.number().int(),
    accel: z.string(),
    /** Boots a cell runs when none fails. */
    bootsPerCell: z.number().int().optional(),
    /** The boots of the run when none fails or is retried (a boot loop stops a cell early). */
    expectedBoots: z.number().int().optional(),
    /** This run's slice of the suite (`--shard i/n`). */
    shard: z.object({ index: z.number().int(), total: z.number().int() }).optional(),
    /** A resumed run: cells that had finished before the resume, kept as they were (no events for them). */
    resumedDone: z.number().int().optional(),
  }),
  line('cell-start', { cell: z.string() }),
  line('boot-start', { ...bootKey, kind: cycleSchema.shape.kind }),
  line('boot-end', {
    ...bootKey,
    ...cycleSchema.pick({ kind: true, booted: true, outcome: true, startedAt: true, bootMs: true, readyMs: true, guestReadyUptimeMs: true, bootId: true, phases: true, consoleLog: true, error: true, health: true, step: true, workloadError: true }).shape,
    /** The crash of this boot in brief; the whole record follows as a `crash` line. */
    crash: z.object({ signature: z.string(), title: z.string() }).optional(),
  }),
  line('crash', { ...bootKey, crash: crashRecordSchema }),
  /** The cell ended in a lab error and runs again from its start: no cell-end for the attempt before. */
  line('cell-retry', { cell: z.string(), attempt: z.number().int(), reason: z.string() }),
  line('install', { cell: z.string(), ok: z.boolean(), ms: z.number(), error: z.string().optional() }),
  line('cell-end', {
    cell: z.string(),
    image: z.string(),
    agent: z.string(),
    build: z.string(),
    content: z.string(),
    /** The judge's verdict on the cell when it ended. */
    verdict: verdictSchema,
    reason: z.string().optional(),
    bootLoop: z.boolean().optional(),
    stopped: z.object({ cause: z.enum(['lab', 'interrupted']), message: z.string() }).optional(),
    /** Agent boots that came up, of all agent boots. */
    booted: z.number().int(),
    boots: z.number().int(),
  }),
  line('run-end', { runDir: z.string(), verdict: verdictSchema, exitCode: z.number().int() }),
]);
export type EventLine = z.infer<typeof eventLineSchema>;
