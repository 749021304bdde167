import type { SessionsChanged, SessionsResync } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent } from '../src/index.js';
import { internalsOf } from '../src/testing/index.js';
import { principalRulesAuth, sha256Hex } from '../src/transport/index.js';
import { createHarness, type Client } from './helpers/wire.js';

/*
 * Who hears of session rows (R4.1, R6.4): list subscribers (filtered, per principal) and the
 * connections that follow a session; nobody else. A creation storm costs O(subscribers) per window.
 */
const h = createHarness();
afterEach(() => h.closeAll());

const changesOf = (c: Client) => c.rec.packets.filter((p) => p.event === 'sessions.changed').map((p) => p.args[0] as SessionsChanged);
const resyncsOf = (c: Client) => c.rec.packets.filter((p) => p.event === 'sessions.resync').map((p) => p.args[0] as SessionsResync);

describe('sessions.changed goes to those who asked', () => {
  it('500 connected clients and a creation storm: only subscribers hear, creations are coalesced, a bystander is answered', async () => {
    const WINDOW = { maxCreatedPerWindow: 20, windowMs: 60_000 };
    const gw = await h.start({
      sessionList: WINDOW,
      sessions: { maxSessionsPerPrincipal: 1_000 },
      maxConnectionsPerPrincipal: 1_000,
      heartbeat: { enabled: false },
    });
    const bystanders: Client[] = [];
    for (let i = 0; i < 494; i += 38) bystanders.push(...(await Promise.all(Array.from({ length: Math.min(38, 494 - i) }, () => h.client(gw)))));
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => h.client(gw)));
    for (const s of subscribers)
      expect(await s.request('sessions.subscribe', { enabled: true })).toMatchObject({ ok: true, data: { enabled: true, ...WINDOW } });
    const filtered = await h.client(gw);
    expect(await filtered.request('sessions.subscribe', { enabled: true, prefix: 'storm-1' })).toMatchObject({ ok: true, data: { prefix: 'storm-1' } });
    const creator = await h.client(gw);
    expect(bystanders.length + subscribers.length + 2).toBe(501);

    const STORM = 300;
    const joins = await Promise.all(Array.from({ length: STORM }, (_, i) => creator.request('join', { sessionId: `storm-${i}` })));
    expect(joins.every((j) => j.ok)).toBe(true);
    // A bystander's request is answered in the middle of it all (its latency is measured by the benchmark, not here).
    expect(await bystanders[0]!.request('sessions.list', { limit: 1 })).toMatchObject({ ok: true });
    for (const s of subscribers) await s.rec.waitFor((p) => p.event === 'sessions.resync', { what: 'sessions.resync' });
    // The filtered subscriber: storm-1, storm-10..19, storm-100..199 = 111 matching creations.
    await filtered.rec.waitFor((p) => p.event === 'sessions.resync', { what: 'sessions.resync (filtered)' });

    const core = internalsOf(gw);
    for (const s of subscribers) {
      expect(changesOf(s)).toHaveLength(WINDOW.maxCreatedPerWindow);
      expect(changesOf(s).every((c) => c.reason === 'created')).toBe(true);
      expect(resyncsOf(s)).toEqual([{ reason: 'coalesced', skipped: 1 }]);
    }
    expect(changesOf(filtered).every((c) => c.sessionId.startsWith('storm-1'))).toBe(true);
    expect(changesOf(filtered)).toHaveLength(WINDOW.maxCreatedPerWindow);
    for (const b of bystanders) expect(changesOf(b)).toEqual([]);
    expect(changesOf(creator)).toEqual([]);
    // 6 subscribers x 20 notices: O(subscribers), not 300 sessions x 501 connections.
    expect(core.listFeed.counters.changesSent).toBe(6 * WINDOW.maxCreatedPerWindow);
    expect(core.listFeed.counters.resyncsSent).toBe(6);
    // The resync means "list again": the list has every session.
    const listed = await subscribers[0]!.request('sessions.list', { limit: 1000 });
    expect(listed.ok && listed.data.sessions.length).toBe(STORM);
  }, 120_000);

  it('a subscriber hears only rows its principal may see; a sender hears its own run without subscribing', async () => {
    const ALICE = 'alice-token-0123456789';
    const BOB = 'bob-token-0123456789abc';
    const auth = principalRulesAuth([
      { id: 'alice', tokenSha256: sha256Hex(ALICE), sessions: ['alice-*'], deny: [] },
      { id: 'bob', tokenSha256: sha256Hex(BOB), sessions: ['bob-*'], deny: [] },
    ]);
    const gw = await h.start({ auth, agent: createDemoAgent({ chunkDelayMs: 0, toolDelayMs: 0 }), heartbeat: { enabled: false } });
    const aliceList = await h.client(gw, { token: ALICE });
    await aliceList.request('sessions.subscribe', { enabled: true });
    const bobSender = await h.client(gw, { token: BOB });
    const aliceSender = await h.client(gw, { token: ALICE });
    const bobRun = await bobSender.request('chat.send', { sessionId: 'bob-1', text: 'hello', idempotencyKey: 'b1' });
    const aliceRun = await aliceSender.request('chat.send', { sessionId: 'alice-1', text: 'hello', idempotencyKey: 'a1' });
    if (!bobRun.ok || !aliceRun.ok) throw new Error('chat.send failed');
    // Neither sender joined; each hears its own run end.
    await bobSender.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    await aliceSender.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    await aliceList.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    expect(new Set(changesOf(bobSender).map((c) => c.sessionId))).toEqual(new Set(['bob-1']));
    expect(new Set(changesOf(aliceSender).map((c) => c.sessionId))).toEqual(new Set(['alice-1']));
    expect(changesOf(aliceList).map((c) => c.reason)).toEqual(['created', 'run.queued', 'run.start', 'run.end']);
    expect(changesOf(aliceList).every((c) => c.sessionId === 'alice-1')).toBe(true);

    // Unsubscribing stops it.
    expect(await aliceList.request('sessions.subscribe', { enabled: false })).toMatchObject({ ok: true, data: { enabled: false } });
    const before = changesOf(aliceList).length;
    await aliceSender.request('chat.send', { sessionId: 'alice-2', text: 'again', idempotencyKey: 'a2' });
    await aliceSender.rec.waitFor(
      (p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).sessionId === 'alice-2' && (p.args[0] as SessionsChanged).reason === 'run.end',
    );
    expect(changesOf(aliceList)).toHaveLength(before);
  });

  it('a connection that leaves a session stops hearing of it', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const member = await h.client(gw);
    await member.request('join', { sessionId: 'left' });
    await driver.request('control', { type: 'run.script', sessionId: 'left', steps: [] });
    await member.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    const heard = changesOf(member).length;
    await member.request('leave', { sessionId: 'left' });
    await driver.request('control', { type: 'run.script', sessionId: 'left', steps: [] });
    await driver.rec.waitFor(
      (p) =>
        p.event === 'sessions.changed' &&
        (p.args[0] as SessionsChanged).reason === 'run.end' &&
        changesOf(driver).filter((c) => c.reason === 'run.end').length === 2,
    );
    expect(changesOf(member)).toHaveLength(heard);
  });
});
