import type { EventFrame, SessionEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { eventBytes, MemorySessionLog, resolveRetention, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES } from '../src/index.js';
import { chunk, messages } from './helpers/events.js';
import { assertGapless, createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

function log(retention: Parameters<typeof resolveRetention>[0]) {
  return new MemorySessionLog('s', resolveRetention(retention));
}

function reply(runId: string, chunks: number): SessionEvent[] {
  const events: SessionEvent[] = [{ type: 'run.start', runId, trigger: 'chat', at: 1 }];
  for (let i = 0; i < chunks; i++) events.push(chunk(runId, i));
  events.push({ type: 'stream.end', runId, streamId: `${runId}-s0`, chunkCount: chunks, text: 'x'.repeat(chunks) });
  events.push({ type: 'response', runId, messageId: `${runId}-m`, text: 'x'.repeat(chunks), at: 2 });
  events.push({ type: 'run.end', runId, status: 'completed', at: 3 });
  return events;
}

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

  it('bounds the log by count: the oldest events go and oldestCursor moves past them', async () => {
    const l = log({ maxEvents: 10 });
    await l.append(messages(15));
    expect(await l.head()).toMatchObject({ cursor: 15, oldestCursor: 6 });
    expect((await l.read(0, 15)).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('bounds the log by bytes', async () => {
    const events = messages(10);
    const size = eventBytes(events[0]!);
    const l = log({ maxBytes: size * 4 + 2 });
    await l.append(events);
    const head = await l.head();
    expect(head.cursor).toBe(10);
    expect(head.oldestCursor).toBe(7);
    expect((await l.stats()).retainedBytes).toBeLessThanOrEqual(size * 4 + 2);
  });

  it('compacts chunks inside their own budget and keeps every durable event', async () => {
    const l = log({ maxEvents: 100, maxNonDurableEvents: 10 });
    await l.append(reply('r1', 500));
    const head = await l.head();
    expect(head).toMatchObject({ cursor: 504, oldestCursor: 1 });
    const kept = await l.read(0, head.cursor);
    expect(kept.filter((e) => e.event.type === 'stream.chunk')).toHaveLength(10);
    expect(kept.filter((e) => e.event.type !== 'stream.chunk').map((e) => e.event.type)).toEqual(['run.start', 'stream.end', 'response', 'run.end']);
    expect((await l.stats()).compactedEvents).toBe(490);
  });

  it('compacts finished streams before a stream that is still running', async () => {
    const l = log({ maxEvents: 1000, maxNonDurableEvents: 6 });
    await l.append([{ type: 'run.start', runId: 'old', trigger: 'chat', at: 1 }, chunk('old', 0), chunk('old', 1), chunk('old', 2)]);
    await l.append([{ type: 'run.start', runId: 'live', trigger: 'chat', at: 1 }, chunk('live', 0), chunk('live', 1), chunk('live', 2)]);
    // The old stream ends; then the live one grows past the budget.
    await l.append([
      { type: 'stream.end', runId: 'old', streamId: 'old-s0', chunkCount: 3, text: 'xxx' },
      chunk('live', 3),
      chunk('live', 4),
      chunk('live', 5),
    ]);
    const kept = await l.read(0, 100);
    const chunks = kept.filter((e) => e.event.type === 'stream.chunk').map((e) => (e.event as { runId: string }).runId);
    expect(chunks).toEqual(['live', 'live', 'live', 'live', 'live', 'live']);
  });

  it('tool updates are non-durable; start and terminal phases are kept', async () => {
    const l = log({ maxEvents: 1000, maxNonDurableEvents: 2 });
    const tool = (phase: 'start' | 'update' | 'result', i = 0): SessionEvent => ({
      type: 'tool',
      runId: 'r',
      toolCallId: 'c',
      toolName: 't',
      phase,
      progress: i,
      at: 1,
    });
    await l.append([tool('start'), ...Array.from({ length: 20 }, (_, i) => tool('update', i)), tool('result')]);
    const kept = await l.read(0, 100);
    expect(kept.map((e) => (e.event as { phase: string }).phase)).toEqual(['start', 'update', 'update', 'result']);
  });

  it('trim drops below a seq, clamped to head + 1', async () => {
    const l = log({});
    await l.append(messages(5));
    expect(await l.trim(3)).toMatchObject({ cursor: 5, oldestCursor: 3 });
    expect(await l.trim(2)).toMatchObject({ oldestCursor: 3 });
    expect(await l.trim(100)).toMatchObject({ cursor: 5, oldestCursor: 6 });
    expect(await l.read(0, 5)).toEqual([]);
    expect(await l.durable()).toEqual([]);
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
    const stats = await gw.core.sessions.get('flood')!.log.stats();
    expect(stats.nonDurableEvents).toBeLessThanOrEqual(2_500);
    expect(stats.evictedEvents).toBe(0);
    // Batching: the replay of ~2,500 frames arrived in a handful of emits, none over the limit.
    const batches = resumer.rec.packets.filter((p) => p.event === 'replay').map((p) => (p.args[0] as unknown[]).length);
    expect(Math.max(...batches)).toBeLessThanOrEqual(512);
    expect(batches.length).toBeLessThan(20);
  });
});
