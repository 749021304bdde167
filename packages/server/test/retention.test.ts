import type { EventFrame } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRetention, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES } from '../src/log/index.js';
import { messages } from './helpers/events.js';
import { assertGapless, createHarness } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

describe('retention (R2.2, R2.6)', () => {
  it('defaults: 10,000 events, 8 MiB, and a quarter of each for non-durable events', () => {
    expect(resolveRetention(undefined)).toEqual({
      maxEvents: DEFAULT_MAX_EVENTS,
      maxBytes: DEFAULT_MAX_BYTES,
      maxNonDurableEvents: 2_500,
      maxNonDurableBytes: 2 * 1024 * 1024,
    });
    expect(() => resolveRetention({ maxEvents: 0 })).toThrow(RangeError);
  });

  it('a flood of 10,000 chunks of one finished reply: a client resuming from before it keeps every durable event, and the hole is announced', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const appended = await admin.request('control', { type: 'session.append', sessionId: 'flood', events: messages(3) });
    if (!appended.ok) throw new Error();
    const since = appended.data.cursor!;
    const started = await admin.request('control', {
      type: 'run.script',
      sessionId: 'flood',
      steps: [
        { type: 'tool', toolCallId: 'call-1', toolName: 'fetch', phase: 'start', input: { url: 'x' } },
        { type: 'tool', toolCallId: 'call-1', toolName: 'fetch', phase: 'update', progress: 0.5 },
        { type: 'chunks', count: 10_000, text: 'token ' },
        { type: 'tool', toolCallId: 'call-1', toolName: 'fetch', phase: 'result', output: { status: 200 } },
      ],
    });
    if (!started.ok) throw new Error();
    const watcher = await h.client(gw);
    await watcher.request('join', { sessionId: 'flood' });
    await watcher.rec.untilEvent('flood', (f) => f.event.type === 'run.end', { timeoutMs: 20_000 });

    const resumer = await h.client(gw);
    const joined = await resumer.request('join', { sessionId: 'flood', since, epoch: appended.data.epoch! });
    expect(joined).toMatchObject({ ok: true, data: { resyncRequired: false, oldestCursor: 1 } });
    if (!joined.ok) throw new Error();
    const frames = resumer.rec.frames('flood') as EventFrame[];
    expect(assertGapless(frames, since)).toBe(joined.data.cursor);
    const durable = frames.filter((f) => f.event.type !== 'stream.chunk' && !(f.event.type === 'tool' && f.event.phase === 'update'));
    expect(durable.map((f) => (f.event.type === 'tool' ? `tool:${f.event.phase}` : f.event.type))).toEqual([
      'run.start',
      'tool:start',
      'stream.end',
      'tool:result',
      'response',
      'run.end',
    ]);
    const end = durable.find((f) => f.event.type === 'stream.end')!.event as { text: string; chunkCount: number };
    expect(end.chunkCount).toBe(10_000);
    expect(end.text).toBe('token '.repeat(10_000));
    const compacted = frames.filter((f) => f.skipped?.reason === 'compacted').reduce((n, f) => n + f.skipped!.toSeq - f.skipped!.fromSeq + 1, 0);
    const chunksKept = frames.filter((f) => f.event.type === 'stream.chunk').length;
    expect(chunksKept).toBeLessThanOrEqual(2_500);
    expect(compacted + chunksKept).toBeGreaterThanOrEqual(10_000);
    const stats = await internalsOf(gw).sessions.get('flood')!.log.stats();
    expect(stats.nonDurableEvents).toBeLessThanOrEqual(2_500);
    expect(stats.evictedEvents).toBe(0);
    // Batching: the replay of ~2,500 frames arrived in a handful of emits, none over the limit.
    const batches = resumer.rec.packets.filter((p) => p.event === 'replay').map((p) => (p.args[0] as unknown[]).length);
    expect(Math.max(...batches)).toBeLessThanOrEqual(512);
    expect(batches.length).toBeLessThan(20);
  });
});
