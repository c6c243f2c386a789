import type { LoadedYaml } from '../util/yaml.js';
import { ConfigError } from '../util/errors.js';
import type { Suite } from './suite-schema.js';

/**
 * What a suite's rollout: section must say of itself, before any image is known: ring names once
 * each, content versions of this suite, and ring sizes that grow (a ring smaller than the one
 * before would take the content back from machines). Checks against the images are made when the
 * rings are planned (config/rollout-plan.ts).
 */
export function rolloutProblems(s: Suite, file: string, lineOf: LoadedYaml<Suite>['lineOf']): ConfigError[] {
  const r = s.rollout;
  if (!r) return [];
  const problems: ConfigError[] = [];
  const at = (path: (string | number)[], field: string) => ({ file, line: lineOf(['rollout', ...path]), field: `rollout.${field}` });
  const seen = new Set<string>();
  let last = 0;
  for (const [i, ring] of r.rings.entries()) {
    if (seen.has(ring.name)) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} is named twice`, at(['rings', i, 'name'], `rings[${i}].name`)));
    seen.add(ring.name);
    if (typeof ring.images === 'number') {
      if (ring.images <= last) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} reaches ${ring.images} images, no more than the ring before (${last}): each ring must add images`, at(['rings', i, 'images'], `rings[${i}].images`)));
      last = ring.images;
    }
    if (ring.images === 'all' && i < r.rings.length - 1) problems.push(new ConfigError('ROLLOUT', `ring ${ring.name} reaches every image, so the rings after it add none: all is for the last ring`, at(['rings', i, 'images'], `rings[${i}].images`)));
  }
  // A ring is cells of the matrix: content the matrix leaves out has none.
  const known = s.content.map((c) => c.version).filter((v) => !s.matrix?.content || s.matrix.content.includes(v));
  for (const [i, v] of (r.content ?? []).entries()) {
    if (!known.includes(v)) problems.push(new ConfigError('ROLLOUT', `content version ${v} is not in this suite's matrix (its content: ${known.join(', ')})`, at(['content', i], `content[${i}]`)));
  }
  return problems;
}
