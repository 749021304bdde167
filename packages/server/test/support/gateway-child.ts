/*
 * A gateway in its own process, so a test can saturate the gateway's event loop without freezing
 * the clients that measure it. Options arrive as JSON in argv[2], a mutant's name in argv[3]; the parent sends
 * { type: 'block', ms } to busy-loop the gateway, { type: 'memory' } to read its memory use, and
 * { type: 'close' } to shut it down.
 */
import { createGateway } from '../../src/index.js';
import { createMutantGateway, type MutantName } from '../../src/testing/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const mutant = process.argv[3] as MutantName | undefined;
const gateway = mutant ? await createMutantGateway(mutant, { ...options, logger: false }) : await createGateway({ ...options, logger: false });

process.on('message', (message: { type: string; ms?: number; id?: number }) => {
  if (message.type === 'block') {
    const end = Date.now() + (message.ms ?? 0);
    while (Date.now() < end) {
      // Saturate the event loop on purpose: nothing else in this process runs meanwhile.
    }
    process.send?.({ type: 'blocked', id: message.id });
  } else if (message.type === 'memory') {
    // Collect first (the child runs with --expose-gc), so heapUsed is what is still referenced.
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'memory', id: message.id, rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed });
  } else if (message.type === 'close') {
    void gateway.close().then(() => process.exit(0));
  }
});
process.send?.({ type: 'ready', url: gateway.url });
