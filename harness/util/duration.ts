/**
 * The duration grammar of suite files: a number with an optional unit (ms, s, m, h; seconds when
 * absent), spaces allowed around. One pattern for the parser and the published JSON Schema, so an
 * editor accepts exactly what the loader does.
 */
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;

/** "90s", "2m", "1500ms", "1h" or a bare number of seconds -> milliseconds; undefined when malformed. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
  const m = DURATION_PATTERN.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}
