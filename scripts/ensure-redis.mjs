#!/usr/bin/env node
// Runs before `npm test`: the Redis engine's tests and the multi-node conformance run need a Redis at
// 127.0.0.1:6379 (REDIS_URL overrides). When none answers, start Debian's redis-server there
// (installing the package first, as root, when it is missing), keeping nothing on disk; without
// root, say exactly what to run. Tests that need Redis fail, never skip, when it is absent.
//
//   AGENT_GATEWAY_APT_GET    the apt-get to run (default apt-get; lets the step be tried safely)
import { spawnSync } from 'node:child_process';
import net from 'node:net';

const url = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const host = url.hostname || '127.0.0.1';
const port = Number(url.port || 6379);
const aptGet = process.env.AGENT_GATEWAY_APT_GET || 'apt-get';

function fail(message) {
  process.stderr.write(`ensure-redis: ${message}\n`);
  process.exit(1);
}

/** Does a Redis answer PING there? */
function answers() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

if (await answers()) process.exit(0);
if (host !== '127.0.0.1' && host !== 'localhost') fail(`no Redis answers at ${url.href}; start it there, or unset REDIS_URL to use 127.0.0.1:6379.`);

if (!has('redis-server')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!has(aptGet)) fail(`no Redis answers at ${host}:${port} and ${aptGet} is not available. Install and start Redis there.`);
  if (!isRoot) fail(`no Redis answers at ${host}:${port}. Install and start it, then run the tests again:\n  sudo apt-get install -y redis-server`);
  process.stderr.write(`ensure-redis: installing Debian's redis-server with ${aptGet} (once)...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'redis-server'],
  ]) {
    const step = spawnSync(aptGet, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (step.status !== 0) fail(`\`${aptGet} ${args.join(' ')}\` failed (exit ${step.status ?? step.signal}); install redis-server by hand.`);
  }
}

process.stderr.write(`ensure-redis: no Redis answers at ${host}:${port}; starting redis-server there (nothing kept on disk).\n`);
const started = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (started.status !== 0) fail(`redis-server did not start (exit ${started.status ?? started.signal}).`);
for (let i = 0; i < 50; i++) {
  if (await answers()) {
    process.stderr.write(`ensure-redis: Redis answers at ${host}:${port}.\n`);
    process.exit(0);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
fail(`redis-server started but nothing answers at ${host}:${port}.`);
