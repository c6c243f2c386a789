import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AptState, APT_STATE_MAX_AGE_MS, aptStateStale } from './apt-state.js';
import { suiteSources } from '../util/debian-archive.js';
import { execCapture } from '../util/exec.js';

describe('lab-private apt state', () => {
  it('is fetched when never fetched, a day old, or from the future', () => {
    const now = 1_000_000_000_000;
    expect(aptStateStale(undefined, now)).toBe(true);
    expect(aptStateStale(now - APT_STATE_MAX_AGE_MS + 1000, now)).toBe(false);
    expect(aptStateStale(now - APT_STATE_MAX_AGE_MS, now)).toBe(true);
    expect(aptStateStale(now + 3600_000, now)).toBe(true);
  });
  it('reads a release with its updates and security fixes, unstable alone, backports with its release', () => {
    expect(suiteSources('trixie')).toEqual([
      'deb http://deb.debian.org/debian trixie main',
      'deb http://deb.debian.org/debian trixie-updates main',
      'deb http://deb.debian.org/debian-security trixie-security main',
    ]);
    expect(suiteSources('sid')).toEqual(['deb http://deb.debian.org/debian sid main']);
    expect(suiteSources('bookworm-backports')).toContain('deb http://deb.debian.org/debian bookworm-backports main');
    expect(suiteSources('bookworm-backports')).toContain('deb http://deb.debian.org/debian bookworm main');
  });

  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  it("points real apt at its own files, never the host's sources, lists or pins", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bootgate-apt-'));
    dirs.push(dir);
    const s = new AptState(dir, 'bullseye', 'arm64');
    const r = await execCapture('apt-config', [...s.options(), 'dump']);
    expect(r.code).toBe(0);
    const get = (k: string) => new RegExp(`^${k.replace(/:/g, '\\:')} "([^"]*)";$`, 'mi').exec(r.stdout)?.[1];
    expect(get('Dir::Etc::sourcelist')).toBe(join(dir, 'sources.list'));
    expect(get('Dir::Etc::sourceparts')).toBe('-');
    expect(get('Dir::State::Lists')).toBe(join(dir, 'lists'));
    expect(get('Dir::State::status')).toBe(join(dir, 'status'));
    expect(get('Dir::Etc::preferencesparts')).toBe(join(dir, 'preferences.d'));
    expect(get('Dir::Cache')).toBe(join(dir, 'cache'));
    expect(get('APT::Architecture')).toBe('arm64');
    // With no lists fetched, apt sees no package at all: the host's lists are not read.
    const p = await execCapture('apt-cache', [...s.options(), 'policy', 'bash']);
    expect(p.stdout).not.toMatch(/Candidate: \d/);
  });
});
