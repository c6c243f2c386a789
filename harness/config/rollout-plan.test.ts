import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrors } from '../util/errors.js';
import { planRollout } from './rollout-plan.js';
import { loadSuite } from './suite.js';
import { makeSuiteLab } from '../../test/fixtures/suite-lab.js';

let lab: string;
const IMAGES = ['i1', 'i2', 'i3', 'i4'];
const suite = (rollout: string) => `name: t
images: [i1, i2, i3, i4]
agent:
  name: sensor
  kind: linux-kmod
  builds:
    - { version: "2.1.0", source: examples/agents/sensor-kmod }
content:
  - { version: "290", path: examples/content/channel-290.txt }
  - { version: "291", path: examples/content/channel-291.txt }
boot: { baseline: 1, cycles: 3 }
${rollout}`;

async function load(text: string) {
  const f = join(lab, 'suites', `s-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(f, text);
  return loadSuite(f);
}
async function problems(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  return e instanceof ConfigErrors ? e.lines() : [(e as ConfigError).toString()];
}

beforeAll(async () => {
  lab = await makeSuiteLab('bootgate-rollout-');
});

describe('planRollout', () => {
  it('slices the images into rings (a count, a list added to earlier rings, all), with weights and soaks', async () => {
    const s = await load(suite(`rollout:
  content: ["291", "290"]
  weights: { i1: 7, i3: 100 }
  rings:
    - { name: canary, images: 1, soak: 1 }
    - { name: early, images: [i3] }
    - { name: broad, images: all, soak: 5 }
`));
    const p = planRollout(s, IMAGES);
    expect(p.contents).toEqual(['291', '290']);
    expect(p.rings).toEqual([
      { name: 'canary', images: [{ name: 'i1', machines: 7 }], soak: 1 },
      { name: 'early', images: [{ name: 'i3', machines: 100 }], soak: 3 },
      { name: 'broad', images: [{ name: 'i2', machines: 1 }, { name: 'i4', machines: 1 }], soak: 5 },
    ]);
  });

  it('takes the matrix content when the rollout names none', async () => {
    const s = await load(suite(`matrix: { content: ["291"] }
rollout:
  rings: [{ name: all, images: all }]
`));
    expect(planRollout(s, IMAGES).contents).toEqual(['291']);
  });

  it('says every problem of the section at its line and field', async () => {
    const s = await load(suite(`rollout:
  weights: { i9: 3 }
  rings:
    - { name: canary, images: 9 }
    - { name: early, images: [i1, nope] }
    - { name: broad, images: [i2] }
`));
    const lines = await problems(Promise.resolve().then(() => planRollout(s, IMAGES)));
    expect(lines).toEqual([
      expect.stringMatching(/:13: rollout\.weights\.i9: weight for i9, which this suite does not boot/),
      expect.stringMatching(/:15: rollout\.rings\[0\]\.images: ring canary reaches 9 images; the suite selects 4/),
      expect.stringMatching(/:16: rollout\.rings\[1\]\.images: ring early names nope, which this suite does not boot/),
      expect.stringMatching(/:16: rollout\.rings\[1\]\.images: ring early adds no image/),
      // canary already reaches every image (9 cut to the suite's 4): broad has nothing left.
      expect.stringMatching(/:17: rollout\.rings\[2\]\.images: ring broad adds no image/),
    ]);
  });

  it('refuses a last ring that leaves images out of the fleet', async () => {
    const s = await load(suite(`rollout:
  rings: [{ name: canary, images: 1 }, { name: early, images: 3 }]
`));
    expect(await problems(Promise.resolve().then(() => planRollout(s, IMAGES)))).toEqual([expect.stringMatching(/:13: rollout\.rings\[1\]\.images: the last ring leaves out i4/)]);
  });

  it('refuses a suite without rollout: for bootgate rollout', async () => {
    const s = await load(suite(''));
    expect(await problems(Promise.resolve().then(() => planRollout(s, IMAGES)))).toEqual([expect.stringMatching(/rollout: this suite has no rollout: section/)]);
  });
});

describe('the rollout: section at load', () => {
  it('refuses ring names given twice, rings that shrink, all before the last ring, content outside the matrix', async () => {
    const lines = await problems(load(suite(`rollout:
  content: ["292"]
  rings:
    - { name: canary, images: 2 }
    - { name: canary, images: 2 }
    - { name: early, images: all }
    - { name: broad, images: all }
`)));
    expect(lines).toEqual([
      expect.stringMatching(/:13: rollout\.content\[0\]: content version 292 is not in this suite's matrix \(its content: 290, 291\)/),
      expect.stringMatching(/:16: rollout\.rings\[1\]\.name: ring canary is named twice/),
      expect.stringMatching(/:16: rollout\.rings\[1\]\.images: ring canary reaches 2 images, no more than the ring before/),
      expect.stringMatching(/:17: rollout\.rings\[2\]\.images: ring early reaches every image/),
    ]);
  });

  it('a schema problem in a ring names its field: a ring size of 0, an unknown key', async () => {
    const lines = await problems(load(suite(`rollout:
  rings:
    - { name: canary, images: 0, soka: 1 }
`)));
    expect(lines.join('\n')).toMatch(/:14: rollout\.rings\[0\]\.images/);
    expect(lines.join('\n')).toMatch(/:14: rollout\.rings\[0\]\.soka: .*soak/);
  });
});
