import type { SessionRow, SessionsChanged, WireError } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { principalRulesAuth, sha256Hex } from '../src/transport/index.js';
import { internalsOf } from '../src/testing/index.js';
import { createHarness, type Client } from './helpers/wire.js';

/*
 * R6.4 for sessions: bounded per principal and per gateway with LIMIT_EXCEEDED, unloaded once idle
 * (and their heartbeats with them), listed a page at a time.
 */
const h = createHarness();
afterEach(() => h.closeAll());

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789abc';
const twoPrincipals = principalRulesAuth([
  { id: 'alice', tokenSha256: sha256Hex(ALICE), sessions: ['*'], deny: [] },
  { id: 'bob', tokenSha256: sha256Hex(BOB), sessions: ['*'], deny: [] },
]);

const note = () => ({ type: 'message' as const, messageId: `n-${Math.random().toString(36).slice(2)}`, role: 'system' as const, text: 'note', at: Date.now() });

const unloadedNotices = (c: Client) =>
  c.rec.packets
    .filter((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'unloaded')
    .map((p) => (p.args[0] as SessionsChanged).sessionId);

describe('session limits (R6.4)', () => {
  it('a principal creates at most its share; past it, and past the gateway bound, LIMIT_EXCEEDED creates nothing', async () => {
    const gw = await h.start({ auth: twoPrincipals, sessions: { maxSessionsPerPrincipal: 30, maxSessions: 50 } });
    const alice = await h.client(gw, { token: ALICE });
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => alice.request('join', { sessionId: `a-${i}` })));
    const refused = outcomes.filter((o) => !o.ok).map((o) => (o as { error: WireError }).error);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(30);
    expect(refused).toHaveLength(10);
    for (const error of refused) {
      expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false, details: { limit: 'sessionsPerPrincipal', max: 30 } });
    }
    // chat.send to a new session is refused the same way, and starts nothing.
    const send = await alice.request('chat.send', { sessionId: 'a-new', text: 'hi', idempotencyKey: 'k1' });
    expect(send).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(internalsOf(gw).sessions.get('a-new')).toBeUndefined();
    // Joining a session that exists is not a creation.
    expect((await alice.request('join', { sessionId: 'a-0' })).ok).toBe(true);

    // Another principal has its own share, until the gateway as a whole is full.
    const bob = await h.client(gw, { token: BOB });
    const bobs = await Promise.all(Array.from({ length: 25 }, (_, i) => bob.request('join', { sessionId: `b-${i}` })));
    expect(bobs.filter((o) => o.ok)).toHaveLength(20);
    for (const o of bobs.filter((o) => !o.ok))
      expect(o).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED', details: { limit: 'sessions', max: 50 } } });
    expect(internalsOf(gw).sessions.size).toBe(50);
    const hello = alice.rec.packets[0]!.args[0] as { limits: Record<string, number> };
    expect(hello.limits).toMatchObject({ maxSessionsPerPrincipal: 30 });
  });

  it('a principal holds at most its connections; a place comes back when one closes', async () => {
    const gw = await h.start({ maxConnectionsPerPrincipal: 3 });
    const held = await Promise.all([h.client(gw), h.client(gw), h.client(gw)]);
    const refused = await h.refused(gw);
    expect(refused.message).toBe('LIMIT_EXCEEDED');
    expect(refused.data).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false, details: { limit: 'connectionsPerPrincipal', max: 3 } });
    const serverSide = gw.io.sockets.sockets.get(held[0]!.socket.id!)!;
    const gone = new Promise<void>((resolve) => serverSide.once('disconnect', () => resolve()));
    held[0]!.close();
    await gone;
    const again = await h.client(gw);
    expect(again.socket.connected).toBe(true);
  });
});

describe('idle sessions are unloaded (R6.4)', () => {
  const options = { controlToken: 'ctl', sessions: { idleMs: 300, sweepIntervalMs: 50 }, heartbeat: { intervalMs: 50 } };

  it('unloads sessions nobody uses, stops their heartbeats, keeps the ones in use, and a later join starts a new epoch', async () => {
    const gw = await h.start(options);
    const watcher = await h.client(gw);
    expect(await watcher.request('sessions.subscribe', { enabled: true })).toMatchObject({ ok: true });
    const flooder = await h.client(gw);
    const ids = Array.from({ length: 20 }, (_, i) => `idle-${i}`);
    const epochs = new Map<string, string>();
    for (const sessionId of ids) {
      const joined = await flooder.request('join', { sessionId });
      if (!joined.ok) throw new Error('join failed');
      epochs.set(sessionId, joined.data.epoch);
    }
    // One session keeps a member, one a held lane: both are in use.
    const keeper = await h.client(gw, { controlToken: 'ctl' });
    await keeper.request('join', { sessionId: 'kept' });
    await keeper.request('control', { type: 'lane.hold', sessionId: 'held' });
    flooder.close();

    await watcher.rec.waitFor(() => ids.every((id) => unloadedNotices(watcher).includes(id)), { timeoutMs: 10_000, what: '20 unloaded notices' });
    const core = internalsOf(gw);
    expect([...core.sessions.all()].map((s) => s.id).sort()).toEqual(['held', 'kept']);
    expect(unloadedNotices(watcher)).not.toContain('kept');
    expect(unloadedNotices(watcher)).not.toContain('held');
    expect(core.heartbeats.sessionCount()).toBe(2);
    expect(core.counters.sessionsUnloaded).toBe(20);
    // The kept session beats (it has a member); none of the others appended anything while idle.
    await keeper.rec.untilEvent('kept', (f) => f.event.type === 'heartbeat');

    // The in-memory log went with the session: a resume finds a new epoch and resyncs.
    const back = await h.client(gw);
    const rejoined = await back.request('join', { sessionId: 'idle-0', since: 0, epoch: epochs.get('idle-0')! });
    expect(rejoined).toMatchObject({ ok: true, data: { resyncRequired: true, reason: 'epoch-mismatch', cursor: 0 } });
    if (!rejoined.ok) throw new Error();
    expect(rejoined.data.epoch).not.toBe(epochs.get('idle-0'));

    // Releasing the lane makes that session idle as well.
    await keeper.request('control', { type: 'lane.release', sessionId: 'held' });
    await watcher.rec.waitFor(() => unloadedNotices(watcher).includes('held'), { timeoutMs: 10_000, what: 'held unloaded' });
  });

  it('a session whose run is active is not unloaded, and its idle time starts after the run', async () => {
    const gw = await h.start(options);
    const watcher = await h.client(gw);
    await watcher.request('sessions.subscribe', { enabled: true });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const run = await driver.request('control', { type: 'run.script', sessionId: 'busy', steps: [{ type: 'hold', gate: 'g' }] });
    expect(run.ok).toBe(true);
    // A session created alongside goes idle and is unloaded; the busy one stays through that sweep.
    await driver.request('control', { type: 'session.append', sessionId: 'quiet', events: [note()] });
    await watcher.rec.waitFor(() => unloadedNotices(watcher).includes('quiet'), { timeoutMs: 10_000, what: 'quiet unloaded' });
    expect(internalsOf(gw).sessions.get('busy')).toBeDefined();
    await driver.request('control', { type: 'run.release', sessionId: 'busy', gate: 'g' });
    await watcher.rec.waitFor(() => unloadedNotices(watcher).includes('busy'), { timeoutMs: 10_000, what: 'busy unloaded after its run' });
    const changes = watcher.rec.packets.filter((p) => p.event === 'sessions.changed').map((p) => p.args[0] as SessionsChanged);
    const busy = changes.filter((c) => c.sessionId === 'busy').map((c) => c.reason);
    expect(busy.indexOf('run.end')).toBeLessThan(busy.indexOf('unloaded'));
  });
});

describe('sessions.list pages (R4.1, R6.4)', () => {
  it('pages through every row with an opaque cursor, most recent first, and refuses a cursor it did not issue', async () => {
    const gw = await h.start({ controlToken: 'ctl' });
    const c = await h.client(gw, { controlToken: 'ctl' });
    for (let i = 0; i < 25; i++) await c.request('control', { type: 'session.append', sessionId: `page-${String(i).padStart(2, '0')}`, events: [note()] });
    const rows: SessionRow[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const page = await c.request('sessions.list', cursor ? { limit: 10, cursor } : { limit: 10 });
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      sizes.push(page.data.sessions.length);
      rows.push(...page.data.sessions);
      if (!page.data.nextCursor) break;
      cursor = page.data.nextCursor;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(rows.map((r) => r.sessionId)).size).toBe(25);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.updatedAt).toBeGreaterThanOrEqual(rows[i]!.updatedAt);
    const whole = await c.request('sessions.list', { limit: 1000 });
    expect(whole.ok && whole.data.sessions.map((r) => r.sessionId)).toEqual(rows.map((r) => r.sessionId));
    expect(whole.ok && whole.data.nextCursor).toBeUndefined();

    const forged = await c.request('sessions.list', { cursor: 'bm90LWEtY3Vyc29y' });
    expect(forged).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE', details: { issues: [{ path: '/cursor' }] } } });
  });
});
