import { describe, it } from 'vitest';
import { ImageCatalog } from '../harness/images/catalog.js';
import { cacheRoot, projectRoot } from '../harness/util/paths.js';
import { bootImageToSsh } from './boot-smoke.js';

/**
 * Boot smoke of the kernels from other Debian suites (issue 18): each image built from its
 * suite's archive, booted once to its ready marker (initramfs, or Debian 13's systemd disk), reached over SSH with its
 * pinned host key, and running the kernel its manifest names (test/boot-smoke.ts). KERNEL_YEARS_IMAGES=a,b narrows.
 */
const KERNEL_YEARS_IMAGES = [
  'debian-11-5.10-cloud', 'debian-11-5.10-generic', 'debian-11-5.10-rt',
  'debian-13-6.12-cloud', 'debian-13-6.12-generic', 'debian-13-6.12-rt',
  'debian-sid-cloud', 'debian-sid-generic', 'debian-sid-rt',
  'debian-13-6.12-generic-systemd',
];
const wanted = process.env.KERNEL_YEARS_IMAGES?.split(',').filter(Boolean) ?? KERNEL_YEARS_IMAGES;

describe('kernels across five years: each boots to its ready marker', () => {
  const catalog = new ImageCatalog(projectRoot(), cacheRoot());
  for (const name of wanted) it(name, async () => void (await bootImageToSsh(await catalog.ensure(name, () => undefined))), 900_000);
});
