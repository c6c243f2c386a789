import { defineConfig } from 'vitest/config';
import { MATRIX_FILES } from './test/guest-tests.js';

/** `npm run test:matrix`: the long matrices `npm test` leaves out (test/guest-tests.ts says why). */
export default defineConfig({
  test: {
    include: [...MATRIX_FILES],
    globalSetup: ['test/build-images.ts'],
    // kernel-matrix alone (42 boots, a module build per kernel) went past 600 s on a fresh 2-core machine.
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    fileParallelism: false,
  },
});
