#!/usr/bin/env node
// Thin launcher: the CLI is compiled from harness/ into dist/ (`npm run build` in a checkout, which
// scripts/setup.sh runs; the npm package ships dist/, built by `prepack`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`bootgate: error: ${fileURLToPath(entry)} is missing: in a checkout, run \`npm run build\`; an installed package ships it, so reinstall it\n`);
  process.exit(2);
}
// A reader that closes the pipe early (`bootgate detect log | head`) is no error: the command still
// ends with its own exit code, and no stack trace is printed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const { main } = await import(entry.href);
main(process.argv).then((code) => { process.exitCode = code; });
