import type { EventFrame, Joined, Snapshot } from '@agent-gateway/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { decideResume } from '../src/resume/index.js';
import { messages } from './helpers/events.js';
import { assertGapless, createHarness, type Client } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

describe('decideResume (the exact rule)', () => {
  const head = { epoch: 'E1', cursor: 20, oldestCursor: 11 };
  it.each([
    [undefined, 'E1', 'snapshot', 'fresh-join'],
    [9, 'E1', 'snapshot', 'since-too-old'],
    [10, 'E1', 'replay', undefined],
    [11, 'E1', 'replay', undefined],
    [20, 'E1', 'replay', undefined],
    [21, 'E1', 'snapshot', 'since-ahead'],
    [15, 'E2', 'snapshot', 'epoch-mismatch'],
    [15, undefined, 'snapshot', 'epoch-mismatch'],
  ] as const)('since=%s epoch=%s -> %s %s', (since, epoch, kind, reason) => {
    const decision = decideResume({ ...(since === undefined ? {} : { since }), ...(epoch ? { epoch } : {}) }, head);
    expect(decision.kind).toBe(kind);
    expect(decision.resyncRequired).toBe(kind !== 'replay');
    if (decision.kind === 'snapshot') expect(decision.reason).toBe(reason);
    if (decision.kind === 'replay') expect(decision.fromCursor).toBe(since);
  });

  it('since = 0 without epoch replays when nothing was ever dropped, and is too old otherwise', () => {
    expect(decideResume({ since: 0 }, { epoch: 'E', cursor: 5, oldestCursor: 1 })).toMatchObject({ kind: 'replay', fromCursor: 0 });
    expect(decideResume({ since: 0 }, { epoch: 'E', cursor: 5, oldestCursor: 3 })).toMatchObject({ kind: 'snapshot', reason: 'since-too-old' });
  });

  it('empty log: since 0 replays nothing, since 1 is ahead', () => {
    expect(decideResume({ since: 0, epoch: 'E' }, { epoch: 'E', cursor: 0, oldestCursor: 1 })).toMatchObject({ kind: 'replay', fromCursor: 0 });
    expect(decideResume({ since: 1, epoch: 'E' }, { epoch: 'E', cursor: 0, oldestCursor: 1 })).toMatchObject({ kind: 'snapshot', reason: 'since-ahead' });
  });
});

describe('join over the wire (R2.3, R2.4, R2.5)', () => {
  let gw: Gateway;
  let admin: Client;
  let epoch: string;

  beforeEach(async () => {
    gw = await h.start({ controlToken: CONTROL });
    admin = await h.client(gw, { controlToken: CONTROL });
    const appended = await admin.request('control', { type: 'session.append', sessionId: 'log', events: messages(20) });
    expect(appended).toMatchObject({ ok: true, data: { firstSeq: 1, lastSeq: 20, cursor: 20 } });
    const trimmed = await admin.request('control', { type: 'session.trim', sessionId: 'log', oldestCursor: 11 });
    expect(trimmed).toMatchObject({ ok: true, data: { cursor: 20, oldestCursor: 11 } });
    if (!appended.ok) throw new Error('append failed');
    epoch = appended.data.epoch!;
  });

  /** Join and return the answer plus what arrived before the acknowledgement. */
  async function join(params: { since?: number; epoch?: string }) {
    const c = await h.client(gw);
    const result = await c.request('join', { sessionId: 'log', ...params });
    const before = c.rec.packets.map((p) => p.event);
    return { c, result, before, frames: c.rec.frames('log') };
  }

  it('since = oldestCursor - 2 is too old: one snapshot, no replay', async () => {
    const { result, before, frames } = await join({ since: 9, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'since-too-old', cursor: 20, oldestCursor: 11, epoch } });
    expect(before.filter((e) => e === 'snapshot')).toHaveLength(1);
    expect(frames).toHaveLength(0);
  });

  it('since = oldestCursor - 1 replays everything retained', async () => {
    const { result, frames, before } = await join({ since: 10, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: false, cursor: 20, oldestCursor: 11 } });
    expect(before).not.toContain('snapshot');
    expect(frames.map((f) => f.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(frames.every((f) => f.channel === 'replay' && f.epoch === epoch)).toBe(true);
  });

  it('since = oldestCursor replays the rest', async () => {
    const { result, frames } = await join({ since: 11, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: false } });
    expect(frames.map((f) => f.seq)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  it('since = cursor replays nothing and goes live', async () => {
    const { c, result, frames } = await join({ since: 20, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: false } });
    expect(frames).toHaveLength(0);
    expect(c.rec.packets.map((p) => p.event)).not.toContain('snapshot');
    await admin.request('control', { type: 'session.append', sessionId: 'log', events: messages(1, 'live') });
    await c.rec.untilSeq('log', 21);
    expect(c.rec.frames('log').map((f) => [f.seq, f.channel])).toEqual([[21, 'session.event']]);
  });

  it('since = cursor + 1 is ahead: snapshot', async () => {
    const { result, before } = await join({ since: 21, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'since-ahead' } });
    expect(before).toContain('snapshot');
  });

  it('an epoch mismatch gets a snapshot even for an in-range since', async () => {
    const { result, before } = await join({ since: 15, epoch: 'another-epoch' });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'epoch-mismatch' } });
    expect(before).toContain('snapshot');
  });

  it('since without epoch counts as a mismatch', async () => {
    const { result } = await join({ since: 15 });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'epoch-mismatch' } });
  });

  it('a join without since gets the snapshot, never a replay from 0', async () => {
    const { c, result, frames } = await join({});
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'fresh-join' } });
    expect(frames).toHaveLength(0);
    const snapshot = (await c.rec.event('snapshot')).args[0] as Snapshot;
    expect(snapshot).toMatchObject({ sessionId: 'log', epoch, eventCursor: 20, oldestCursor: 11 });
    expect(snapshot.events.map((e) => e.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(snapshot.messages).toHaveLength(20);
  });

  it('emits joined first, then replay, then the acknowledgement, then live frames', async () => {
    const c = await h.client(gw);
    const result = await c.request('join', { sessionId: 'log', since: 10, epoch });
    const atAck = c.rec.packets.length;
    expect(result.ok).toBe(true);
    const events = c.rec.packets.map((p) => p.event);
    expect(events[0]).toBe('hello');
    expect(events[1]).toBe('joined');
    expect((c.rec.packets[1]!.args[0] as Joined).cursor).toBe(20);
    expect(c.rec.frames('log')).toHaveLength(10);
    await admin.request('control', { type: 'session.append', sessionId: 'log', events: messages(2, 'n') });
    await c.rec.untilSeq('log', 22);
    const live = c.rec.frames('log', atAck);
    expect(live.map((f) => [f.seq, f.channel])).toEqual([
      [21, 'session.event'],
      [22, 'session.event'],
    ]);
  });

  it('an empty log: cursor 0, oldestCursor 1; since 0 replays nothing, no since gives an empty snapshot', async () => {
    const c = await h.client(gw);
    const fresh = await c.request('join', { sessionId: 'empty' });
    expect(fresh).toMatchObject({ ok: true, data: { cursor: 0, oldestCursor: 1, resyncRequired: true, reason: 'fresh-join' } });
    const snapshot = (await c.rec.event('snapshot')).args[0] as Snapshot;
    expect(snapshot).toMatchObject({ eventCursor: 0, oldestCursor: 1, messages: [], events: [], activeRun: null });
    if (!fresh.ok) throw new Error();
    const d = await h.client(gw);
    const again = await d.request('join', { sessionId: 'empty', since: 0, epoch: fresh.data.epoch });
    expect(again).toMatchObject({ ok: true, data: { resyncRequired: false, cursor: 0 } });
    expect(d.rec.packets.map((p) => p.event)).toEqual(['hello', 'joined']);
  });

  it('a recreated log has a new epoch: the old cursor gets epoch-mismatch', async () => {
    const recreated = await admin.request('control', { type: 'session.recreate', sessionId: 'log' });
    expect(recreated).toMatchObject({ ok: true, data: { cursor: 0, oldestCursor: 1 } });
    if (!recreated.ok) throw new Error();
    expect(recreated.data.epoch).not.toBe(epoch);
    const { result } = await join({ since: 15, epoch });
    expect(result).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'epoch-mismatch', cursor: 0 } });
  });

  it('every frame carries seq and epoch at the top level (R2.1)', async () => {
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'log', since: 10, epoch });
    await admin.request('control', { type: 'session.append', sessionId: 'log', events: messages(3, 'z') });
    await c.rec.untilSeq('log', 23);
    for (const frame of c.rec.frames('log') as EventFrame[]) {
      expect(Number.isInteger(frame.seq)).toBe(true);
      expect(frame.epoch).toBe(epoch);
    }
    expect(assertGapless(c.rec.frames('log'), 10)).toBe(23);
  });
});
