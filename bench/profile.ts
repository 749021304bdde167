/*
 * Where the gateway's CPU goes under B1's token stream to one client: a V8 CPU profile of exactly the
 * measured stream (the gateway host starts and stops its profiler around it), summed by area and by
 * function (self time), with the idle share that tells whether the gateway was CPU-bound.
 * `npm run bench -- --profile`; the evidence behind the analysis in docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, controlAuth, isRunEnd, receiveUntil, request } from './lib/clients.js';
import { startGatewayHost } from './lib/processes.js';
import { summarizeProfile } from './lib/profile.js';
import { VALIDATION_CATEGORIES } from './scenarios/validation.js';

const CHUNKS = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'agent-gateway-prof-'));
const server = await startGatewayHost();
const control = await connect(server.url, controlAuth);
const client = await connect(server.url);
await request(client, 'join', { sessionId: 'profile' });
const stream = async (count: number) => {
  const done = receiveUntil(client, 'session.event', isRunEnd);
  await request(control, 'control', { type: 'run.script', sessionId: 'profile', steps: [{ type: 'chunks', count, text: 'tok ' }] });
  await done;
};
await stream(10_000);
await server.profileStart();
const started = performance.now();
await stream(CHUNKS);
const wallMicros = (performance.now() - started) * 1000;
const path = join(dir, 'b1.cpuprofile');
await server.profileStop(path);
control.close();
client.close();
await server.stop();
const summary = summarizeProfile(path, VALIDATION_CATEGORIES, 25);
rmSync(dir, { recursive: true, force: true });

const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`;
const pct = (micros: number) => `${((micros / summary.busyMicros) * 100).toFixed(1)}%`;
console.log(
  `B1 one client, ${CHUNKS.toLocaleString('en-US')} chunks in ${ms(wallMicros)}: ${Math.round(CHUNKS / (wallMicros / 1e6)).toLocaleString('en-US')} events/s; ` +
    `gateway busy ${ms(summary.busyMicros)} of it (${((summary.busyMicros / wallMicros) * 100).toFixed(0)}%), ${(summary.busyMicros / CHUNKS).toFixed(2)} µs per chunk\n`,
);
console.log('| area (inclusive) | time | share of busy |\n|---|---:|---:|');
for (const [name, micros] of Object.entries(summary.categories)) console.log(`| ${name} | ${ms(micros)} | ${pct(micros)} |`);
console.log('\n| function (self time) | where | time | share of busy |\n|---|---|---:|---:|');
for (const entry of summary.top) console.log(`| ${entry.name} | ${entry.where} | ${ms(entry.micros)} | ${pct(entry.micros)} |`);
process.exit(0);
