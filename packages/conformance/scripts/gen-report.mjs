#!/usr/bin/env node
// Regenerate REPORT.md: start the reference gateway as its own process (its shipped CLI), run the
// conformance CLI against it with the markdown reporter, and stop the gateway. The report holds no
// timings, dates or ports, so regenerating it is a no-op unless a verdict changed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const serverCli = here('../../server/dist/cli.js');
const suiteCli = here('../dist/cli.js');
const out = process.argv[2] ?? here('../REPORT.md');

const gateway = spawn(
  process.execPath,
  [serverCli, 'serve', '--port', '0', '--token', 'report-token', '--control-token', 'report-control', '--log-level', 'silent'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise((resolve, reject) => {
  let buffered = '';
  gateway.stdout.on('data', (chunk) => {
    buffered += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(buffered);
    if (match) resolve(match[1]);
  });
  gateway.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before printing its URL`)));
});

const suite = spawn(
  process.execPath,
  [
    suiteCli,
    '--url',
    url,
    '--token',
    'report-token',
    '--control-token',
    'report-control',
    '--reporter',
    'markdown',
    '--out',
    out,
    '--expected-failures',
    here('../test/reference-baseline.yaml'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const code = await new Promise((resolve) => suite.once('exit', resolve));
gateway.kill('SIGTERM');
process.exit(code ?? 2);
