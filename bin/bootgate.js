#!/usr/bin/env node
// Thin launcher: the CLI is compiled from harness/ into dist/ by `npm install` (prepare).
import { main } from '../dist/harness/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });
