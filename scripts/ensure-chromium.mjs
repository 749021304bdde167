#!/usr/bin/env node
// Runs before `npm test`: the browser test drives Debian's Chromium at /usr/bin/chromium through
// playwright-core. When it is missing, install Debian's package (as root, with apt-get), never a
// downloaded browser; without root, say exactly what to run.
//
//   AGENT_GATEWAY_CHROMIUM   where the browser must be (default /usr/bin/chromium)
//   AGENT_GATEWAY_APT_GET    the apt-get to run (default apt-get; lets the step be tried safely)
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const browser = process.env.AGENT_GATEWAY_CHROMIUM || '/usr/bin/chromium';
const aptGet = process.env.AGENT_GATEWAY_APT_GET || 'apt-get';

function present() {
  try {
    accessSync(browser, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(message) {
  process.stderr.write(`ensure-chromium: ${message}\n`);
  process.exit(1);
}

if (present()) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync(aptGet, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasApt) {
  fail(`${browser} is missing and ${aptGet} is not available. Install Chromium from your distribution at ${browser} (the browser test needs it).`);
}
if (!isRoot) {
  fail(`${browser} is missing. Install Debian's Chromium, then run the tests again:\n  sudo apt-get update && sudo apt-get install -y chromium`);
}

process.stderr.write(`ensure-chromium: ${browser} is missing; installing Debian's chromium with ${aptGet} (once)...\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', 'chromium'],
]) {
  const step = spawnSync(aptGet, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (step.status !== 0) fail(`\`${aptGet} ${args.join(' ')}\` failed (exit ${step.status ?? step.signal}); install chromium by hand and run the tests again.`);
}
if (!present()) fail(`${aptGet} installed chromium, but ${browser} is still missing. Point AGENT_GATEWAY_CHROMIUM at the browser or install it there.`);
process.stderr.write(`ensure-chromium: ${browser} is installed.\n`);
