#!/usr/bin/env node
import { runCli } from './cli-main.js';

// A reader that stops early (`| head`) is not an error of the suite.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets of a failed check can linger; the verdict is final, so leave now.
  setImmediate(() => process.exit(code));
});
