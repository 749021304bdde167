#!/usr/bin/env node
// Regenerate REPORT.md: start the reference gateway as its own process (its shipped CLI), run the
// conformance CLI against it with the markdown reporter, and stop the gateway. Then the same for two
// gateway processes sharing sessions through Redis (127.0.0.1:6379, REDIS_URL overrides; its own
// key prefix, deleted afterwards), the second one as the peer, appended as the multi-node section.
// The report holds no timings, dates, ports or prefixes, so regenerating it is a no-op unless a
// verdict changed.
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

function startGateway(extra) {
  const gateway = spawn(
    process.execPath,
    [serverCli, 'serve', '--port', '0', '--token', 'report-token', '--control-token', 'report-control', '--log-level', 'silent', ...extra],
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
      'report-token',
      '--control-token',
      'report-control',
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

// One gateway, in-memory.
const single = startGateway([]);
const code = await runSuite(await single.url, out);
single.process.kill('SIGTERM');
if (code !== 0) process.exit(code ?? 2);

// Two gateways sharing sessions through Redis: every check against the first, the second as peer.
if (redisCli('PING').trim() !== 'PONG') throw new Error(`no Redis answers at ${redisUrl}; the multi-node section needs one`);
const prefix = `report:${randomBytes(6).toString('hex')}:`;
const redis = ['--redis', redisUrl, '--redis-prefix', prefix];
const nodes = [startGateway([...redis, '--node-id', 'a']), startGateway([...redis, '--node-id', 'b'])];
const [a, b] = await Promise.all(nodes.map((n) => n.url));
const multi = join(mkdtempSync(join(tmpdir(), 'conformance-report-')), 'multi-node.md');
const multiCode = await runSuite(a, multi, ['--peer-url', b]);
for (const node of nodes) node.process.kill('SIGTERM');
await Promise.all(nodes.map((n) => new Promise((resolve) => (n.process.exitCode !== null ? resolve() : n.process.once('exit', resolve)))));
const keys = redisCli('--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
for (let i = 0; i < keys.length; i += 500) redisCli('UNLINK', ...keys.slice(i, i + 500));

// The multi-node report becomes a section of REPORT.md, its headings one level down.
const section = readFileSync(multi, 'utf8')
  .replace(/^# Conformance report\n/, '')
  .replace(/^(#+) /gm, '$1# ')
  .trim();
writeFileSync(
  out,
  `${readFileSync(out, 'utf8').trimEnd()}\n\n## Multi-node run (Redis)\n\n` +
    'The same suite against two gateway processes sharing sessions through Redis ' +
    '(`agent-gateway serve --redis redis://127.0.0.1:6379 --node-id a|b`): every check against the first, the second as ' +
    '`--peer-url` for the multi-node checks (R7.2).\n\n' +
    `${section}\n`,
);
process.exit(multiCode ?? 2);
