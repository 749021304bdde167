#!/usr/bin/env node
// Regenerate REPORT.md: run the conformance CLI with the markdown reporter against the reference
// gateway as its own process (its shipped CLI), and, side by side, against two gateway processes
// sharing sessions through Redis (127.0.0.1:6379, REDIS_URL overrides; its own key prefix, deleted
// afterwards), the second one as the peer, appended as the multi-node section. REPORT.md is written
// once, at the end: an interrupted run leaves it as it was. The report holds no timings, dates, ports
// or prefixes, so regenerating it is a no-op unless a verdict changed.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const serverCli = here('../../server/dist/cli.js');
const suiteCli = here('../dist/cli.js');
const out = process.argv[2] ?? here('../REPORT.md');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'report-token-of-the-suite';
const LIMITS_TOKEN = 'report-token-to-exhaust';

function startGateway(extra) {
  const gateway = spawn(
    process.execPath,
    [serverCli, 'serve', '--port', '0', '--control-token', 'report-control', '--forbidden-prefix', 'private-', '--log-level', 'silent', ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = new Promise((resolve, reject) => {
    let buffered = '';
    gateway.stdout.on('data', (chunk) => {
      buffered += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(buffered);
      if (match) resolve(match[1]);
    });
    gateway.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before printing its URL`)));
  });
  return { process: gateway, url };
}

async function runSuite(url, file, extra = []) {
  const suite = spawn(
    process.execPath,
    [
      suiteCli,
      '--url',
      url,
      '--token',
      TOKEN,
      '--control-token',
      'report-control',
      '--forbidden-prefix',
      'private-',
      '--reporter',
      'markdown',
      '--out',
      file,
      '--expected-failures',
      here('../test/reference-baseline.yaml'),
      ...extra,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return new Promise((resolve) => suite.once('exit', resolve));
}

function redisCli(...args) {
  return execFileSync('redis-cli', ['-u', redisUrl, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

// One gateway, in-memory, with two principals: the suite's own, and one whose per-principal bounds
// the suite may exhaust. Its bounds are set low enough (and idle sessions unloaded soon enough) for
// every R6.4 check to run within its budget.
const work = mkdtempSync(join(tmpdir(), 'conformance-report-'));
const tokenFile = join(work, 'tokens.json');
writeFileSync(
  tokenFile,
  JSON.stringify({
    principals: [
      { id: 'suite', token: TOKEN },
      { id: 'exhaustible', token: LIMITS_TOKEN },
    ],
  }),
);
const gateways = [];
const start = (extra) => {
  const gateway = startGateway(extra);
  gateways.push(gateway.process);
  return gateway;
};
// Interrupted, the script stops its gateways and leaves REPORT.md as it was: the report is written
// once, whole, at the end.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of gateways) child.kill('SIGKILL');
    process.exit(130);
  });
}

if (redisCli('PING').trim() !== 'PONG') throw new Error(`no Redis answers at ${redisUrl}; the multi-node section needs one`);
const prefix = `report:${randomBytes(6).toString('hex')}:`;
const redis = ['--redis', redisUrl, '--redis-prefix', prefix];
const single = start(['--token-file', tokenFile, '--max-sessions-per-principal', '500', '--max-connections-per-principal', '100', '--session-idle-ms', '3000']);
// Two gateways sharing sessions through Redis: every check against the first, the second as peer.
const nodes = [start(['--token', TOKEN, ...redis, '--node-id', 'a']), start(['--token', TOKEN, ...redis, '--node-id', 'b'])];
const singleReport = join(work, 'single.md');
const multiReport = join(work, 'multi-node.md');
const [singleUrl, a, b] = await Promise.all([single.url, ...nodes.map((n) => n.url)]);
// The two runs are independent (their own gateways and sessions): side by side.
const [code, multiCode] = await Promise.all([
  runSuite(singleUrl, singleReport, ['--limits-token', LIMITS_TOKEN, '--foreign-origin', 'http://foreign.example']),
  runSuite(a, multiReport, ['--peer-url', b]),
]);
for (const child of gateways) child.kill('SIGTERM');
await Promise.all(gateways.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))));
const keys = redisCli('--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
for (let i = 0; i < keys.length; i += 500) redisCli('UNLINK', ...keys.slice(i, i + 500));
if (code !== 0) process.exit(code ?? 2);

// The multi-node report becomes a section of REPORT.md, its headings one level down.
const section = readFileSync(multiReport, 'utf8')
  .replace(/^# Conformance report\n/, '')
  .replace(/^(#+) /gm, '$1# ')
  .trim();
writeFileSync(
  out,
  `${readFileSync(singleReport, 'utf8').trimEnd()}\n\n## Multi-node run (Redis)\n\n` +
    'The same suite against two gateway processes sharing sessions through Redis ' +
    '(`agent-gateway serve --redis redis://127.0.0.1:6379 --node-id a|b`): every check against the first, the second as ' +
    '`--peer-url` for the multi-node checks (R7.2).\n\n' +
    `${section}\n`,
);
process.exit(multiCode ?? 2);
