import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemas, schemaText } from '../harness/config/json-schemas.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** Every property name in a JSON Schema, recursively. */
function propertyNames(s: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(s)) for (const x of s) propertyNames(x, out);
  else if (s && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) out.add(k);
    for (const v of Object.values(o)) propertyNames(v, out);
  }
  return out;
}

describe('published JSON Schemas (schemas/*.schema.json)', () => {
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    it(`${name} is what the zod source generates (if not: npm run schemas)`, () => {
      let onDisk: string;
      try {
        onDisk = readFileSync(`${ROOT}schemas/${name}`, 'utf8');
      } catch {
        throw new Error(`schemas/${name} is missing: run \`npm run schemas\``);
      }
      expect(onDisk, `schemas/${name} drifted from its zod schema: run \`npm run schemas\` and commit the result`).toBe(schemaText(schema));
    });
  }

  it('docs/results.md documents every field of gate.json and the run.json fields a gate reads', () => {
    const doc = readFileSync(`${ROOT}docs/results.md`, 'utf8');
    const gateFields = propertyNames(jsonSchemas()['gate.schema.json']);
    const policyFields = propertyNames(jsonSchemas()['policy.schema.json']);
    const runFields = ['schema', 'id', 'status', 'suite', 'startedAt', 'endedAt', 'summary', 'verdict', 'exitCode', 'cells', 'image', 'agent', 'content', 'reason', 'bootLoop', 'baseline', 'cycles', 'booted', 'outcome', 'bootMs', 'readyMs', 'guestReadyUptimeMs', 'crash', 'signature', 'title', 'consoleLog', 'crashes', 'gate'];
    const missing = [...gateFields, ...policyFields, ...runFields].filter((f) => !doc.includes(`\`${f}\``));
    expect(missing).toEqual([]);
    for (const rule of ['complete', 'lab', 'bootLoop', 'bootSuccess', 'maxCrashes', 'agentHealth', 'maxBootOverheadPct', 'maxWorkloadOverheadPct', 'minCycles', 'allow']) expect(doc).toContain(`\`${rule}\``);
  });
});
