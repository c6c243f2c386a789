import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { readUserFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';
import { fuzzSchema, type FuzzResult } from './fuzz-schema.js';

export const FUZZ_FILE = 'fuzz.json';

/** Write <corpus>/fuzz.json atomically: a killed run leaves the last whole one. */
export async function writeFuzz(dir: string, r: FuzzResult): Promise<string> {
  const file = join(dir, FUZZ_FILE);
  await writeFileAtomic(file, jsonText(r) + '\n');
  return file;
}

/** Read and validate <corpus>/fuzz.json; a malformed one is a ConfigError naming the field. */
export async function loadFuzz(dir: string): Promise<FuzzResult> {
  const file = join(dir, FUZZ_FILE);
  const text = await readUserFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('JSON_SYNTAX', `not valid JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
  const parsed = fuzzSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ConfigError('FUZZ_SCHEMA', `not a bootgate.fuzz/v1 file: ${i.message}`, { file, field: i.path.map(String).join('.') || '(top level)' });
  }
  return parsed.data;
}
