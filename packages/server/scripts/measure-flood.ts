/*
 * Measures what retention does to a chunk flood: one reply of 10,000 streamed chunks in a session
 * with default retention, then a client resuming from before the reply.
 * Run: npx tsx scripts/measure-flood.ts
 */
import type { EventFrame } from '@agent-gateway/schema';
import { io } from 'socket.io-client';
import { createGateway } from '../src/index.js';
import { internalsOf } from '../src/testing/index.js';

const CONTROL = 'measure';
const gw = await createGateway({ logger: false, controlToken: CONTROL });
const admin = io(gw.url, { transports: ['websocket'], auth: { controlToken: CONTROL }, forceNew: true });
const ask = (event: string, params: unknown) => admin.timeout(60_000).emitWithAck(event, params);

const appended = await ask('control', {
  type: 'session.append',
  sessionId: 'flood',
  events: [{ type: 'message', messageId: 'm1', role: 'user', text: 'go', at: 1 }],
});
const since = appended.data.cursor as number;
const started = Date.now();
const run = await ask('control', {
  type: 'run.script',
  sessionId: 'flood',
  steps: [
    { type: 'tool', toolCallId: 'c1', toolName: 'fetch', phase: 'start' },
    { type: 'chunks', count: 10_000, text: 'token ' },
    { type: 'tool', toolCallId: 'c1', toolName: 'fetch', phase: 'result', output: { ok: true } },
  ],
});
const session = internalsOf(gw).sessions.get('flood')!;
for (;;) {
  const head = await session.log.head();
  const end = await session.log.read(head.cursor - 1, head.cursor);
  if (end.some((e) => e.event.type === 'run.end' && e.event.runId === run.data.runId)) break;
  await new Promise((r) => setTimeout(r, 20));
}
const floodMs = Date.now() - started;
const stats = await session.log.stats();
const head = await session.log.head();

const client = io(gw.url, { transports: ['websocket'], forceNew: true });
const frames: EventFrame[] = [];
let replayBytes = 0;
let batches = 0;
client.on('replay', (batch: EventFrame[]) => {
  batches += 1;
  replayBytes += Buffer.byteLength(JSON.stringify(batch));
  frames.push(...batch);
});
const t0 = Date.now();
await client.timeout(60_000).emitWithAck('join', { sessionId: 'flood', since, epoch: appended.data.epoch });
const replayMs = Date.now() - t0;
const compacted = frames.filter((f) => f.skipped?.reason === 'compacted').reduce((n, f) => n + f.skipped!.toSeq - f.skipped!.fromSeq + 1, 0);
console.log(
  JSON.stringify(
    {
      head,
      floodMs,
      stats,
      replay: {
        frames: frames.length,
        batches,
        bytes: replayBytes,
        ms: replayMs,
        chunksKept: frames.filter((f) => f.event.type === 'stream.chunk').length,
        compactedAnnounced: compacted,
        durable: frames.filter((f) => f.event.type !== 'stream.chunk').map((f) => (f.event.type === 'tool' ? `tool:${f.event.phase}` : f.event.type)),
      },
    },
    null,
    2,
  ),
);
admin.close();
client.close();
await gw.close();
