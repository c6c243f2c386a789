import type { RingPlan } from '../gate/rollout.js';
import { ConfigError, throwProblems } from '../util/errors.js';
import type { LoadedSuite } from './suite.js';

export interface RolloutPlan {
  /** The content versions, in the order they go out. */
  contents: string[];
  rings: RingPlan[];
}

/**
 * The rings of a suite's rollout over the images it selected (in the suite's order): the images
 * new to each ring with their weights, and each ring's soak. Every problem is a ConfigError at
 * its line: a ring larger than the suite, a name the suite does not select, a ring that adds no
 * image, a last ring that leaves images out, a weight for an image the suite does not boot.
 */
export function planRollout(s: Pick<LoadedSuite, 'suite' | 'file' | 'lineOf'>, images: string[]): RolloutPlan {
  const r = s.suite.rollout;
  if (!r) throw new ConfigError('NO_ROLLOUT', 'this suite has no rollout: section (rollout: { rings: [{ name, images, soak }] })', { file: s.file, line: s.lineOf(['name']), field: 'rollout' });
  const problems: ConfigError[] = [];
  const at = (path: (string | number)[], field: string) => ({ file: s.file, line: s.lineOf(['rollout', ...path]), field: `rollout.${field}` });
  const weights = r.weights ?? {};
  for (const name of Object.keys(weights)) {
    if (!images.includes(name)) problems.push(new ConfigError('ROLLOUT', `weight for ${name}, which this suite does not boot (its images: ${images.join(', ')})`, at(['weights', name], `weights.${name}`)));
  }
  const reached: string[] = [];
  const rings: RingPlan[] = [];
  for (const [i, ring] of r.rings.entries()) {
    const where = at(['rings', i, 'images'], `rings[${i}].images`);
    let reach: string[];
    if (ring.images === 'all') reach = images;
    else if (typeof ring.images === 'number') {
      if (ring.images > images.length) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} reaches ${ring.images} images; the suite selects ${images.length}`, where));
      reach = images.slice(0, ring.images);
    } else {
      const unknown = ring.images.filter((n) => !images.includes(n));
      if (unknown.length) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} names ${unknown.join(', ')}, which this suite does not boot (its images: ${images.join(', ')})`, where));
      reach = [...reached, ...ring.images.filter((n) => images.includes(n))];
    }
    const fresh = images.filter((n) => reach.includes(n) && !reached.includes(n));
    if (fresh.length === 0) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} adds no image to the rings before it`, where));
    reached.push(...fresh);
    rings.push({ name: ring.name, images: fresh.map((name) => ({ name, machines: weights[name] ?? 1 })), soak: ring.soak ?? s.suite.boot.cycles });
  }
  const left = images.filter((n) => !reached.includes(n));
  if (left.length && problems.length === 0) {
    const last = r.rings.length - 1;
    problems.push(new ConfigError('ROLLOUT', `the last ring leaves out ${left.join(', ')}: the last ring reaches the whole fleet (images: all)`, at(['rings', last, 'images'], `rings[${last}].images`)));
  }
  throwProblems(problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  const matrixContent = s.suite.content.map((c) => c.version).filter((v) => !s.suite.matrix?.content || s.suite.matrix.content.includes(v));
  return { contents: r.content ?? matrixContent, rings };
}
