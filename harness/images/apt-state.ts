import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suiteSources } from '../util/debian-archive.js';
import { exec } from '../util/exec.js';
import { LabError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsutil.js';

/** Lists older than this are fetched again before they are read: the archive moves daily. */
export const APT_STATE_MAX_AGE_MS = 24 * 3600_000;

/** The stamp written after a successful `apt-get update`; its mtime is the lists' age. */
const STAMP = 'updated';

/** Whether lists last fetched at `updatedAt` (ms, undefined: never) must be fetched again at `now`. Pure. */
export function aptStateStale(updatedAt: number | undefined, now: number, maxAgeMs = APT_STATE_MAX_AGE_MS): boolean {
  return updatedAt === undefined || now - updatedAt >= maxAgeMs || updatedAt > now + 60_000;
}

/**
 * A lab-private apt state for one (Debian suite, architecture): its own sources, lists, package
 * cache and an empty dpkg status, under the lab cache. apt reads only what the options below
 * name, so the host's sources, pins and lists are neither read nor changed; the host's keyring
 * verifies the archive's signatures, and its apt.conf.d (proxies, timeouts, Check-Valid-Until)
 * still applies: how this host reaches an archive is the host's business.
 */
export class AptState {
  constructor(
    readonly dir: string,
    readonly suite: string,
    readonly arch: string,
  ) {}

  /** `-o` options that point apt-get and apt-cache at this state alone. */
  options(): string[] {
    const o: Record<string, string> = {
      'Dir::State': join(this.dir, 'state'),
      'Dir::State::Lists': join(this.dir, 'lists'),
      'Dir::State::status': join(this.dir, 'status'),
      'Dir::Etc::sourcelist': join(this.dir, 'sources.list'),
      'Dir::Etc::sourceparts': '-',
      'Dir::Etc::preferences': join(this.dir, 'preferences'),
      'Dir::Etc::preferencesparts': join(this.dir, 'preferences.d'),
      'Dir::Cache': join(this.dir, 'cache'),
      'APT::Architecture': this.arch,
      'APT::Architectures::': this.arch,
      // A host with APT::Default-Release set would otherwise rank this suite's packages below it.
      'APT::Default-Release': '',
    };
    return Object.entries(o).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  }

  /** When the lists were last fetched (ms), or undefined. */
  async updatedAt(): Promise<number | undefined> {
    return (await stat(join(this.dir, STAMP)).catch(() => undefined))?.mtimeMs;
  }

  /** Fetch the lists when they are missing, older than a day, or of other sources. */
  async ensureFresh(signal?: AbortSignal, now = Date.now()): Promise<void> {
    const sources = suiteSources(this.suite).join('\n') + '\n';
    const same = (await readFile(join(this.dir, 'sources.list'), 'utf8').catch(() => '')) === sources;
    if (same && !aptStateStale(await this.updatedAt(), now)) return;
    for (const d of ['state', 'lists/partial', 'cache/archives/partial', 'preferences.d']) await mkdir(join(this.dir, d), { recursive: true });
    await writeFile(join(this.dir, 'status'), '', { flag: 'a' });
    await writeFileAtomic(join(this.dir, 'sources.list'), sources);
    try {
      await exec('apt-get', [...this.options(), '-q', 'update'], { signal });
    } catch (e) {
      throw new LabError('APT_UPDATE_FAILED', `cannot fetch the package lists of Debian ${this.suite} (${this.arch}) into ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
    await writeFileAtomic(join(this.dir, STAMP), new Date(now).toISOString() + '\n');
  }

  toString(): string {
    return `Debian ${this.suite} (${this.arch})`;
  }
}

/** Concurrent builds of one process share one update per state. */
const fresh = new Map<string, Promise<AptState>>();

/** The lab's apt state for suite and arch under cacheDir (`<cache>/apt/<suite>-<arch>`), its lists fresh. */
export function freshAptState(cacheDir: string, suite: string, arch: string, signal?: AbortSignal): Promise<AptState> {
  const state = new AptState(join(cacheDir, 'apt', `${suite}-${arch}`), suite, arch);
  let p = fresh.get(state.dir);
  if (!p) {
    p = state.ensureFresh(signal).then(() => state);
    fresh.set(state.dir, p);
    // A failed update is tried again by the next caller, not remembered.
    p.catch(() => fresh.delete(state.dir));
  }
  return p;
}
