import { z } from 'zod';
import { policyFileSchema } from './policy-file.js';
import { suiteSchema } from './suite-schema.js';
import { compareSchema } from '../results/compare-schema.js';
import { eventLineSchema } from '../results/events-schema.js';
import { gateSchema } from '../results/gate-schema.js';
import { rolloutSchema } from '../results/rollout-schema.js';
import { fuzzSchema } from '../results/fuzz-schema.js';
import { contentTemplateSchema } from '../fuzz/template-schema.js';
import { runSchema } from '../results/schema.js';

const BASE = 'https://bootgate.dev/schemas/';

/**
 * The published JSON Schemas, generated from the zod schemas that type and validate the files
 * (`npm run schemas` writes them to schemas/; a test fails when the checked-in files drift).
 * Every schema is the input side (zod's `io: 'input'`): what the readers accept. A field with a
 * default may be left out and unknown fields are allowed, so a run.json, gate.json or comparison
 * written by another version (or by hand) validates when the store would read it.
 *
 * The suite schema is for editors: a suite names it on its first line
 * (`# yaml-language-server: $schema=../schemas/suite.schema.json`), and the YAML language server
 * validates JSON Schema draft-07 (its support for 2019-09 and 2020-12 was withdrawn), so it is
 * written in draft-07.
 */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const make = (name: string, title: string, schema: z.ZodType, io: 'input' | 'output', target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12') => ({
    $id: `${BASE}${name}`,
    title,
    ...z.toJSONSchema(schema, { target, io }),
  });
  return {
    'run.schema.json': make('run.schema.json', 'bootgate.run/v1: results/<run-id>/run.json', runSchema, 'input'),
    'gate.schema.json': make('gate.schema.json', 'bootgate.gate/v1: results/<run-id>/gate.json', gateSchema, 'input'),
    'compare.schema.json': make('compare.schema.json', 'bootgate.compare/v1: what bootgate compare A B --json prints', compareSchema, 'input'),
    'events.schema.json': make('events.schema.json', 'bootgate.events/v1: one line of the NDJSON stream of bootgate run --reporter json', eventLineSchema, 'input'),
    'rollout.schema.json': make('rollout.schema.json', 'bootgate.rollout/v1: results/<rollout-id>/rollout.json of bootgate rollout', rolloutSchema, 'input'),
    'fuzz.schema.json': make('fuzz.schema.json', 'bootgate.fuzz/v1: <corpus>/fuzz.json of bootgate fuzz', fuzzSchema, 'input'),
    'content-template.schema.json': make('content-template.schema.json', 'bootgate content template (content-template.yaml beside an agent build): the shape of its content, for bootgate fuzz', contentTemplateSchema, 'input', 'draft-7'),
    'policy.schema.json': make('policy.schema.json', 'bootgate gate policy file (bootgate gate --policy FILE)', policyFileSchema, 'input'),
    'suite.schema.json': make('suite.schema.json', 'bootgate suite file (bootgate run SUITE)', suiteSchema, 'input', 'draft-7'),
  };
}

export const schemaText = (s: Record<string, unknown>) => JSON.stringify(s, null, 2) + '\n';
