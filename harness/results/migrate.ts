/**
 * Files written by earlier versions of bootgate, read as this version writes them. Each step says
 * what changed; a file that needs none passes through untouched. Applied to the parsed JSON
 * before the schema checks it, so the schemas describe only the current shape.
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * run.json before 0.2: a cell the runner ended early said so only in its reason
 * (`lab error: ...`, `interrupted: ...`); now `stopped` says it and the judge reads that.
 */
export function migrateRun(raw: unknown): unknown {
  if (!isObj(raw) || !Array.isArray(raw.cells)) return raw;
  for (const c of raw.cells) {
    if (!isObj(c) || c.stopped !== undefined || c.verdict !== 'error' || typeof c.reason !== 'string') continue;
    const m = /^(lab error|interrupted): (.*)$/s.exec(c.reason);
    if (m) c.stopped = { cause: m[1] === 'interrupted' ? 'interrupted' : 'lab', message: m[2] };
  }
  if (isObj(raw.summary) && raw.summary.verdict === 'inconclusive') raw.summary.verdict = 'error';
  return raw;
}

/** gate.json before 0.2 called the lab's failure `inconclusive`; it is `error` now, as in run.json. */
export function migrateGate(raw: unknown): unknown {
  if (isObj(raw) && raw.verdict === 'inconclusive') raw.verdict = 'error';
  return raw;
}
