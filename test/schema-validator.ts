import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

/**
 * A JSON Schema (draft 2020-12) validator with formats (date-time, uri, email) checked, as a
 * reader of the published schemas would run it: ajv, not the zod source the schemas come from.
 * Returns each problem as `path: message`; none when the value fits.
 */
export function schemaValidator(schema: object): (value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // ajv-formats is CommonJS: its plugin is the module itself, and also its `default`.
  const addFormats = (formats as unknown as { default?: typeof formats }).default ?? formats;
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(top)'}: ${e.message ?? e.keyword}`));
}

export const schemaFile = (path: string): object => JSON.parse(readFileSync(path, 'utf8')) as object;
