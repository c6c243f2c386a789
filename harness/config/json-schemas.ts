import { z } from 'zod';
import { policyFileSchema } from './policy-file.js';
import { compareSchema } from '../results/compare-schema.js';
import { gateSchema } from '../results/gate-schema.js';
import { runSchema } from '../results/schema.js';

const BASE = 'https://bootgate.dev/schemas/';

/**
 * The published JSON Schemas, generated from the zod schemas that type and validate the files
 * (`npm run schemas` writes them to schemas/; a test fails when the checked-in files drift).
 * Every schema is the input side (zod's `io: 'input'`): what the readers accept. A field with a
 * default may be left out and unknown fields are allowed, so a run.json, gate.json or comparison
 * written by another version (or by hand) validates when the store would read it.
 */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const make = (name: string, title: string, schema: z.ZodType, io: 'input' | 'output') => ({
    $id: `${BASE}${name}`,
    title,
    ...z.toJSONSchema(schema, { target: 'draft-2020-12', io }),
  });
  return {
    'run.schema.json': make('run.schema.json', 'bootgate.run/v1: results/<run-id>/run.json', runSchema, 'input'),
    'gate.schema.json': make('gate.schema.json', 'bootgate.gate/v1: results/<run-id>/gate.json', gateSchema, 'input'),
    'compare.schema.json': make('compare.schema.json', 'bootgate.compare/v1: what bootgate compare A B --json prints', compareSchema, 'input'),
    'policy.schema.json': make('policy.schema.json', 'bootgate gate policy file (bootgate gate --policy FILE)', policyFileSchema, 'input'),
  };
}

export const schemaText = (s: Record<string, unknown>) => JSON.stringify(s, null, 2) + '\n';
