import { z } from 'zod';
import { policyFileSchema } from './policy-file.js';
import { compareSchema } from '../results/compare-schema.js';
import { eventLineSchema } from '../results/events-schema.js';
import { gateSchema } from '../results/gate-schema.js';
import { runSchema } from '../results/schema.js';

const BASE = 'https://bootgate.dev/schemas/';

/**
 * The published JSON Schemas, generated from the zod schemas that type and validate the files
 * (`npm run schemas` writes them to schemas/; a test fails when the checked-in files drift).
 * run, gate, compare and events describe what bootgate writes (output); policy describes what a person writes (input: defaults may be left out).
 */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const make = (name: string, title: string, schema: z.ZodType, io: 'input' | 'output') => ({
    $id: `${BASE}${name}`,
    title,
    ...z.toJSONSchema(schema, { target: 'draft-2020-12', io }),
  });
  return {
    'run.schema.json': make('run.schema.json', 'bootgate.run/v1: results/<run-id>/run.json', runSchema, 'output'),
    'gate.schema.json': make('gate.schema.json', 'bootgate.gate/v1: results/<run-id>/gate.json', gateSchema, 'output'),
    'compare.schema.json': make('compare.schema.json', 'bootgate.compare/v1: what bootgate compare A B --json prints', compareSchema, 'output'),
    'events.schema.json': make('events.schema.json', 'bootgate.events/v1: one line of the NDJSON stream of bootgate run --reporter json', eventLineSchema, 'output'),
    'policy.schema.json': make('policy.schema.json', 'bootgate gate policy file (bootgate gate --policy FILE)', policyFileSchema, 'input'),
  };
}

export const schemaText = (s: Record<string, unknown>) => JSON.stringify(s, null, 2) + '\n';
