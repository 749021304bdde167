/*
 * One gateway of a Redis cluster in its own process, so a test can SIGKILL it. Its settings arrive
 * as JSON in argv[2]; it answers { type: 'ready', url } and stops cleanly on { type: 'close' }.
 */
import { createDemoAgent, createGateway } from '../../src/index.js';
import { redisEngine } from '../../src/redis/index.js';

interface NodeSettings {
  url: string;
  prefix: string;
  nodeId: string;
  leaseTtlMs: number;
  controlToken: string;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as NodeSettings;
const gateway = await createGateway({
  logger: false,
  controlToken: settings.controlToken,
  heartbeat: { enabled: false },
  agent: createDemoAgent({ chunkDelayMs: 1, toolDelayMs: 1 }),
  engine: redisEngine({ url: settings.url, prefix: settings.prefix, nodeId: settings.nodeId, leaseTtlMs: settings.leaseTtlMs }),
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'close') void gateway.close().then(() => process.exit(0));
});
process.send?.({ type: 'ready', url: gateway.url });
