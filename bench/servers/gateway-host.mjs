// The reference gateway in a child process of the benchmark or the soak run, built with the public
// createGateway() so that the parent can ask it for what only the process itself knows: its heap
// after a full collection, its RSS and its live handles (timers, sockets). Options come as JSON in
// argv[2]; it prints its URL on stdout like the CLI and answers `{ id, cmd: 'memory' }` on its IPC
// channel. Run it with --expose-gc for settled heap figures.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createGateway, createDemoAgent } from '@agent-gateway/server';
import { createMutantGateway } from '@agent-gateway/server/testing';
import { destination, pino } from 'pino';
import { pacedTokens } from './pacing.mjs';

/**
 * @typedef {{ controlToken?: string, retention?: Record<string, number>, agent?: 'demo' | 'paced',
 *   demo?: { chunkDelayMs?: number, toolDelayMs?: number }, logLevel?: string, heartbeat?: Record<string, unknown>,
 *   pressure?: Record<string, unknown>, idempotencyWindowMs?: number, mutant?: import('@agent-gateway/server/testing').MutantName }} HostConfig
 */

/** @type {HostConfig} */
const config = JSON.parse(process.argv[2] ?? '{}');

/**
 * An agent that streams tokens at a fixed rate, each stamped with the monotonic clock when produced.
 * chat.send text: "paced <count> <ratePerSecond>".
 * @type {import('@agent-gateway/server').Agent}
 */
const pacedAgent = {
  name: 'bench-paced',
  async *run(turn) {
    const [, count, rate] = turn.text.split(' ');
    for await (const text of pacedTokens(Number(count), Number(rate), turn.signal)) yield { type: 'chunk', text };
  },
};

const options = {
  port: 0,
  host: '127.0.0.1',
  ...(config.controlToken ? { controlToken: config.controlToken } : {}),
  ...(config.retention ? { retention: config.retention } : {}),
  ...(config.heartbeat ? { heartbeat: config.heartbeat } : {}),
  ...(config.pressure ? { pressure: config.pressure } : {}),
  ...(config.idempotencyWindowMs ? { idempotencyWindowMs: config.idempotencyWindowMs } : {}),
  agent: config.agent === 'paced' ? pacedAgent : createDemoAgent(config.demo ?? {}),
  logger: pino({ name: 'agent-gateway', level: config.logLevel ?? 'error' }, destination(2)),
};
// A deliberately broken gateway (a mutant of @agent-gateway/server/testing), so the soak checker can prove it sees the mistake.
const gateway = config.mutant ? await createMutantGateway(config.mutant, options) : await createGateway(options);

/** A CPU profile of a chosen window (`profile-start`, then `profile-stop` with the file to write). */
const inspector = new Session();
inspector.connect();

process.on('message', async (message) => {
  const request = /** @type {{ id: number, cmd: string, path?: string }} */ (message);
  if (request.cmd === 'profile-start') {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
    await inspector.post('Profiler.start');
    process.send?.({ id: request.id });
  } else if (request.cmd === 'profile-stop') {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(String(request.path), JSON.stringify(profile));
    process.send?.({ id: request.id });
  } else if (request.cmd === 'memory') {
    // Two passes: the first may only schedule finalisers.
    globalThis.gc?.();
    globalThis.gc?.();
    process.send?.({ id: request.id, memory: process.memoryUsage(), resources: process.getActiveResourcesInfo() });
  }
});
// The parent going away ends the host: nothing else would stop it.
process.on('disconnect', () => void gateway.close().then(() => process.exit(0)));
process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
process.stdout.on('error', () => undefined);
process.stdout.write(`Agent Gateway listening on ${gateway.url}\n`);
