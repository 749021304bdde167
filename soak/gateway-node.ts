/*
 * One gateway node of the multi-node soak run in its own process, so the run can SIGKILL it: the
 * public createGateway() with the Redis engine of @agent-gateway/server/redis and the same demo
 * agent, heartbeats and control token as the single-node host (bench/servers/gateway-host.mjs).
 * Settings arrive as JSON in argv[2]; it prints its URL on stdout and answers `{ id, cmd: 'memory' }`
 * on its IPC channel with its heap after a full collection and its live handles.
 */
import { createDemoAgent, createGateway } from '@agent-gateway/server';
import { redisEngine } from '@agent-gateway/server/redis';
import { destination, pino } from 'pino';

export interface NodeSettings {
  redisUrl: string;
  prefix: string;
  nodeId: string;
  leaseTtlMs: number;
  controlToken: string;
  demo: { chunkDelayMs: number; toolDelayMs: number };
  heartbeat: { intervalMs: number; retryBaseMs: number; retryMaxMs: number };
  logLevel: string;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as NodeSettings;
const gateway = await createGateway({
  port: 0,
  host: '127.0.0.1',
  controlToken: settings.controlToken,
  heartbeat: settings.heartbeat,
  agent: createDemoAgent(settings.demo),
  logger: pino({ name: 'agent-gateway', level: settings.logLevel }, destination(2)),
  engine: redisEngine({ url: settings.redisUrl, prefix: settings.prefix, nodeId: settings.nodeId, leaseTtlMs: settings.leaseTtlMs }),
});

process.on('message', (message: { id: number; cmd: string }) => {
  if (message.cmd !== 'memory') return;
  // Two passes: the first may only schedule finalisers.
  globalThis.gc?.();
  globalThis.gc?.();
  process.send?.({ id: message.id, memory: process.memoryUsage(), resources: process.getActiveResourcesInfo() });
});
// The parent going away ends the node: nothing else would stop it.
process.on('disconnect', () => void gateway.close().then(() => process.exit(0)));
process.once('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
process.stdout.on('error', () => undefined);
process.stdout.write(`Agent Gateway node ${settings.nodeId} listening on ${gateway.url}\n`);
