import { configDefaults, defineConfig } from 'vitest/config';
import { MATRIX_FILES } from './test/guest-tests.js';

/** `npm test`: every unit test, and the real-guest tests that fit a fresh 2-core machine. */
export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'test/**/*.test.ts'],
    // The long matrices run in `npm run test:matrix` (vitest.matrix.config.ts).
    exclude: [...configDefaults.exclude, ...MATRIX_FILES],
    // The images the selected tests boot are built once, before any test.
    globalSetup: ['test/build-images.ts'],
    // Integration tests boot real guests: long timeouts, and one file at a time on 2 cores.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
