import { describe, it } from 'vitest';
import { ImageCatalog } from '../harness/images/catalog.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { bootImageToSsh } from './boot-smoke.js';

/**
 * Boot smoke of every arm64 image (issue 18): each built from Debian's arm64 packages and booted
 * once with qemu-system-aarch64 (test/boot-smoke.ts). ARM64_IMAGES=a,b narrows.
 */
const ARM64_IMAGES = [
  'debian-6.1-generic-arm64', 'debian-6.1-cloud-arm64', 'debian-6.1-rt-arm64',
  'debian-6.12-generic-arm64', 'debian-6.12-cloud-arm64', 'debian-6.12-rt-arm64',
];
const wanted = process.env.ARM64_IMAGES?.split(',').filter(Boolean) ?? ARM64_IMAGES;

describe('arm64 images: each boots to its ready marker under qemu-system-aarch64', () => {
  const catalog = new ImageCatalog(projectRoot(), cacheRoot());
  for (const name of wanted) it(name, async () => void (await bootImageToSsh(await catalog.ensure(name, () => undefined))), 1_200_000);
});
