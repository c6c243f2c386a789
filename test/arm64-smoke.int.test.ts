import { describe, expect, it } from 'vitest';
import { ImageCatalog } from '../harness/images/catalog.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { bootImageToSsh } from './boot-smoke.js';

/** One arm64 guest in `npm test`: Debian 12's 6.1 for arm64 boots under qemu-system-aarch64 and answers over SSH (about 35-40 s under TCG here). */
describe('arm64 smoke', () => {
  it('debian-6.1-generic-arm64 boots to SSH on an aarch64 CPU', async () => {
    const image = await new ImageCatalog(projectRoot(), cacheRoot()).ensure('debian-6.1-generic-arm64', () => undefined);
    expect(image.recipe.recipe.arch).toBe('arm64');
    await bootImageToSsh(image);
  }, 900_000);
});
