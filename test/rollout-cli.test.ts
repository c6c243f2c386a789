import { describe, expect, it } from 'vitest';
import { bootgate } from './cli-helpers.js';

/** bootgate rollout refuses what it cannot run with one line and exit 2, before any image is built. */
describe('bootgate rollout: bad input', () => {
  it('a suite without rollout: is named at its line', async () => {
    const r = await bootgate(['rollout', 'suites/quickstart.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bootgate: error: \S+quickstart\.yaml:\d+: rollout: this suite has no rollout: section/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('the NDJSON event stream is refused: a rollout is one run per ring', async () => {
    const r = await bootgate(['rollout', 'suites/rollout.yaml', '--reporter', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("bootgate: error: --reporter: --reporter json streams one run's events; a rollout runs one per ring: use bootgate run for it");
  });
});
