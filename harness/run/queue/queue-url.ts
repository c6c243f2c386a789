import { ConfigError } from '../../util/errors.js';

/**
 * A `--queue` URL: redis:// or rediss:// (TLS), host, port, optional /db and credentials.
 * Refused with one line otherwise (exit 2), before any connection is tried.
 */
export function parseQueueUrl(v: string, field = '--queue'): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError('QUEUE_URL', `not a URL: ${JSON.stringify(v)} (expected redis://HOST:PORT, e.g. redis://127.0.0.1:6379)`, { field });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError('QUEUE_URL', `${u.protocol.replace(/:$/, '')} is not a Redis URL (expected redis:// or rediss://)`, { field });
  if (!u.hostname) throw new ConfigError('QUEUE_URL', `no host in ${JSON.stringify(v)}`, { field });
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) throw new ConfigError('QUEUE_URL', `the path of a Redis URL is a database number (/0), not ${JSON.stringify(u.pathname)}`, { field });
  return v;
}

/** The URL without its password: what run.json and log lines keep (a resume asks for the password again through --queue). */
export function redactQueueUrl(v: string): string {
  const u = new URL(v);
  if (u.password) u.password = '***';
  return u.toString().replace(/\/$/, '');
}

/**
 * The queue a run's cells go to: `--queue` when given, else the one a resumed run recorded
 * (without its password: then --queue must say it again).
 */
export function queueUrlOf(given: string | undefined, recorded: string | undefined): string | undefined {
  if (given !== undefined) return given;
  if (recorded === undefined) return undefined;
  if (new URL(recorded).password === '***') throw new ConfigError('QUEUE_URL', `the run went to ${recorded}: give its URL with the password again (--queue)`, { field: '--queue' });
  return recorded;
}
