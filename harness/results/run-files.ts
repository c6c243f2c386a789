import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gateSchema, type GateResult } from './gate-schema.js';
import { migrateGate, migrateRun } from './migrate.js';
import { runSchema, type RunResult } from './schema.js';
import { ConfigError } from '../util/errors.js';
import { readUserFile, unwritableFile, writeFileAtomic } from '../util/fsutil.js';
import { jsonText } from '../util/json-text.js';

export const RUN_FILE = 'run.json';
export const GATE_FILE = 'gate.json';

async function readJson(file: string): Promise<unknown> {
  const text = await readUserFile(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError('JSON_SYNTAX', `not valid JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
}

/** The run folder of a path that names either the folder or its run.json. */
export function runDirOf(path: string): string {
  return basename(path) === RUN_FILE ? join(path, '..') : path;
}

/** Read and validate results/<run>/run.json; a missing or malformed file is a ConfigError (exit 2) naming the field. */
export async function loadRun(path: string): Promise<{ run: RunResult; runDir: string; file: string }> {
  const runDir = runDirOf(path);
  const st = await stat(runDir).catch(() => undefined);
  if (!st) throw new ConfigError('FILE_UNREADABLE', 'no such run folder', { file: runDir });
  if (!st.isDirectory()) throw new ConfigError('FILE_UNREADABLE', `not a run folder (expected a folder holding ${RUN_FILE})`, { file: runDir });
  const file = join(runDir, RUN_FILE);
  const parsed = runSchema.safeParse(migrateRun(await readJson(file)));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ConfigError('RUN_SCHEMA', `not a bootgate.run/v1 file: ${i.message}`, { file, field: i.path.map(String).join('.') || '(top level)' });
  }
  return { run: parsed.data, runDir, file };
}

/** gate.json of a run folder, when there is a valid one. */
export async function loadGate(runDir: string): Promise<GateResult | undefined> {
  const text = await readFile(join(runDir, GATE_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = gateSchema.safeParse(migrateGate(JSON.parse(text)));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Write RUN/gate.json; a run folder that will not take it (gate.json is a folder, read-only) is a ConfigError naming it. */
export async function writeGate(runDir: string, gate: GateResult): Promise<string> {
  const file = join(runDir, GATE_FILE);
  try {
    await writeFileAtomic(file, jsonText(gate) + '\n');
  } catch (e) {
    throw unwritableFile(file, GATE_FILE, e);
  }
  return file;
}

export interface RunListing {
  dir: string;
  run?: RunResult;
  gate?: GateResult;
  /** Why the folder holds no readable run. */
  problem?: string;
}

/** Every run folder directly under a results folder (those with a run.json), newest first. */
export async function listRuns(resultsDir: string): Promise<RunListing[]> {
  let names: string[];
  try {
    names = await readdir(resultsDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError('FILE_UNREADABLE', code === 'ENOENT' ? 'no such results folder' : `cannot read (${code})`, { file: resultsDir }, { cause: e });
  }
  const out: RunListing[] = [];
  for (const n of names) {
    const dir = join(resultsDir, n);
    const has = await stat(join(dir, RUN_FILE)).catch(() => undefined);
    if (!has?.isFile()) continue;
    try {
      const { run } = await loadRun(dir);
      out.push({ dir, run, gate: await loadGate(dir) });
    } catch (e) {
      out.push({ dir, problem: e instanceof ConfigError ? e.message : String(e) });
    }
  }
  const key = (l: RunListing) => l.run?.startedAt ?? '';
  return out.sort((a, b) => key(b).localeCompare(key(a)) || b.dir.localeCompare(a.dir));
}
