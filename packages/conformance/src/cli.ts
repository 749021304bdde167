#!/usr/bin/env node
import { runCli } from './cli-main.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets of a failed check can linger; the verdict is final, so leave now.
  setImmediate(() => process.exit(code));
});
