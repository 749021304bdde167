import type { EventFrame } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import type { MutantName } from '../src/testing/index.js';
import { messages } from './helpers/events.js';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

/** A gateway (the reference one, or a mutant) holding a log of 20 events trimmed to oldestCursor 11. */
async function trimmedLog(mutant?: MutantName) {
  const gw = await h.start({ controlToken: CONTROL }, mutant);
  const admin = await h.client(gw, { controlToken: CONTROL });
  const appended = await admin.request('control', { type: 'session.append', sessionId: 'log', events: messages(20) });
  await admin.request('control', { type: 'session.trim', sessionId: 'log', oldestCursor: 11 });
  if (!appended.ok) throw new Error();
  return { gw, admin, epoch: appended.data.epoch! };
}

async function joinWith(mutant: MutantName | undefined, params: Record<string, unknown>) {
  const { gw, epoch } = await trimmedLog(mutant);
  const c = await h.client(gw);
  const result = (await c.rawRequest('join', { sessionId: 'log', epoch, ...params })) as {
    ok: boolean;
    data?: { resyncRequired: boolean };
    error?: { code: string };
  };
  return { result, events: c.rec.packets.map((p) => p.event), seqs: c.rec.frames('log').map((f) => f.seq) };
}

describe('mutant gateways change observable behaviour', () => {
  it('resyncAtOldestMinusOne: since = oldestCursor - 1 gets a snapshot instead of the replay', async () => {
    const good = await joinWith(undefined, { since: 10 });
    const bad = await joinWith('resyncAtOldestMinusOne', { since: 10 });
    expect(good.result.data?.resyncRequired).toBe(false);
    expect(good.seqs).toHaveLength(10);
    expect(bad.result.data?.resyncRequired).toBe(true);
    expect(bad.events).toContain('snapshot');
    expect(bad.seqs).toHaveLength(0);
  });

  it('replayNothingWhenAhead: since > cursor is answered resyncRequired: false with nothing sent', async () => {
    const good = await joinWith(undefined, { since: 21 });
    const bad = await joinWith('replayNothingWhenAhead', { since: 21 });
    expect(good.result.data?.resyncRequired).toBe(true);
    expect(good.events).toContain('snapshot');
    expect(bad.result.data?.resyncRequired).toBe(false);
    expect(bad.events).toEqual(['hello', 'joined']);
  });

  it('partialReplayWhenTooOld: a too-old since gets what is retained, resyncRequired: false, no snapshot', async () => {
    const good = await joinWith(undefined, { since: 5 });
    const bad = await joinWith('partialReplayWhenTooOld', { since: 5 });
    expect(good.result.data?.resyncRequired).toBe(true);
    expect(bad.result.data?.resyncRequired).toBe(false);
    expect(bad.events).not.toContain('snapshot');
    expect(bad.seqs).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  it('unvalidatedSince: a string since is coerced instead of rejected', async () => {
    const good = await joinWith(undefined, { since: '15' });
    const bad = await joinWith('unvalidatedSince', { since: '15' });
    expect(good.result).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    expect(bad.result).toMatchObject({ ok: true, data: { resyncRequired: false } });
    expect(bad.seqs).toEqual([16, 17, 18, 19, 20]);
    const garbage = await joinWith('unvalidatedSince', { since: 'abc' });
    expect(garbage.result).toMatchObject({ ok: true, data: { resyncRequired: true } });
  });

  it('omitSeqOnChunks: live stream.chunk frames lose their seq; other frames keep it', async () => {
    for (const faulty of [false, true]) {
      const gw = await h.start({ controlToken: CONTROL }, faulty ? 'omitSeqOnChunks' : undefined);
      const admin = await h.client(gw, { controlToken: CONTROL });
      const c = await h.client(gw);
      await c.request('join', { sessionId: 'chunks' });
      await admin.request('control', { type: 'run.script', sessionId: 'chunks', steps: [{ type: 'chunks', count: 5, text: 'a' }] });
      await c.rec.untilEvent('chunks', (f) => f.event.type === 'run.end');
      const frames = c.rec.frames('chunks') as Array<Partial<EventFrame> & { event: EventFrame['event'] }>;
      const chunkFrames = frames.filter((f) => f.event.type === 'stream.chunk');
      expect(chunkFrames).toHaveLength(5);
      expect(chunkFrames.every((f) => typeof f.seq === 'number')).toBe(!faulty);
      expect(frames.filter((f) => f.event.type !== 'stream.chunk').every((f) => typeof f.seq === 'number')).toBe(true);
    }
  });

  it('the public entry offers no way to swap the rules a mutant swaps', async () => {
    const publicEntry = await import('../src/index.js');
    expect(Object.keys(publicEntry)).not.toContain('createGatewayWith');
    expect(Object.keys(publicEntry)).not.toContain('mutants');
    expect(Object.keys(publicEntry).filter((name) => /[Ff]ault|[Mm]utant|[Pp]iece/.test(name))).toEqual([]);
  });
});
