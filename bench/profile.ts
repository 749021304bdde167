/*
 * Where the gateway's CPU goes under B1's token stream to one client: a V8 CPU profile of the CLI,
 * summed by area and by function (self time). `npm run bench -- --profile`; the evidence behind the
 * analysis in docs/benchmarks.md.
 */
import { connect, controlAuth, isRunEnd, receiveUntil, request } from './lib/clients.js';
import { profileGateway } from './scenarios/validation.js';

const CHUNKS = 100_000;
let rate = 0;
const summary = await profileGateway(async (url) => {
  const control = await connect(url, controlAuth);
  const client = await connect(url);
  await request(client, 'join', { sessionId: 'profile' });
  for (const [count, measured] of [
    [5_000, false],
    [CHUNKS, true],
  ] as const) {
    const done = receiveUntil(client, 'session.event', isRunEnd);
    const started = performance.now();
    await request(control, 'control', { type: 'run.script', sessionId: 'profile', steps: [{ type: 'chunks', count, text: 'tok ' }] });
    await done;
    if (measured) rate = count / ((performance.now() - started) / 1000);
  }
  control.close();
  client.close();
});
const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`;
const pct = (micros: number) => `${((micros / summary.busyMicros) * 100).toFixed(1)}%`;
console.log(
  `B1 one client, ${CHUNKS.toLocaleString('en-US')} chunks: ${Math.round(rate).toLocaleString('en-US')} events/s; gateway busy ${ms(summary.busyMicros)} (${(summary.busyMicros / CHUNKS).toFixed(2)} µs per chunk, warm-up included)\n`,
);
console.log('| area (inclusive) | time | share |\n|---|---:|---:|');
for (const [name, micros] of Object.entries(summary.categories)) console.log(`| ${name} | ${ms(micros)} | ${pct(micros)} |`);
console.log('\n| function (self time) | where | time | share |\n|---|---|---:|---:|');
for (const entry of summary.top) console.log(`| ${entry.name} | ${entry.where} | ${ms(entry.micros)} | ${pct(entry.micros)} |`);
process.exit(0);
