#!/usr/bin/env node
import { runCli } from './cli-main.js';

// A reader that stops early (`| head`) is not an error of the suite.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets of a failed check can linger; the verdict is final, so leave, but only once stdout and
  // stderr have handed everything over: a report written to a pipe is flushed asynchronously, and
  // leaving earlier cut a JSON report at the pipe's 64 KiB buffer.
  let pending = 2;
  const leave = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', leave);
  process.stderr.write('', leave);
});
