import { ConfigError } from '../util/errors.js';

/** `-j, --concurrency <n>`: a whole number >= 1, else a usage error (exit 2). */
export function parseConcurrency(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('USAGE', `--concurrency takes a whole number >= 1, not ${v}`);
  return n;
}
