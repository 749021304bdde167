import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { HandshakeThrottle, matchesPattern, parseTokenFile, principalRulesAuth, sha256Hex } from '../src/transport/index.js';
import { createHarness } from './helpers/wire.js';

/*
 * Principals without code (R6.1, R6.4): a token file names who may connect and which session ids
 * each may join and list; refusals are uniform; guessing tokens is slowed and its connections closed.
 */
const h = createHarness();
afterEach(() => {
  vi.useRealTimers();
  return h.closeAll();
});

const ALICE = 'alice-secret-token-0001';
const BOB = 'bob-secret-token-000002';
const file = JSON.stringify({
  principals: [
    { id: 'alice', token: ALICE, sessions: ['alice-*', 'team:*'] },
    { id: 'bob', tokenSha256: sha256Hex(BOB), sessions: ['bob-*', 'team:*'], deny: ['team:secret*'] },
  ],
});

describe('token file', () => {
  it('parses principals, by token or by digest', () => {
    const rules = parseTokenFile(file);
    expect(rules.map((r) => r.id)).toEqual(['alice', 'bob']);
    expect(rules[0]!.tokenSha256).toBe(sha256Hex(ALICE));
    expect(rules[1]!.deny).toEqual(['team:secret*']);
    expect(parseTokenFile(JSON.stringify({ principals: [{ id: 'all', token: ALICE }] }))[0]!.sessions).toEqual(['*']);
  });

  it('names what is wrong and where', () => {
    const bad = (data: unknown) => () => parseTokenFile(typeof data === 'string' ? data : JSON.stringify(data), 'tokens.json');
    expect(bad('{')).toThrow(/tokens\.json: JSON/);
    expect(bad({})).toThrow(/\/principals: must be a non-empty list/);
    expect(bad({ principals: [{ id: 'a', token: 'short' }] })).toThrow(/\/principals\/0\/token: must be 16 to 4096 characters/);
    expect(bad({ principals: [{ id: 'a', token: ALICE, tokenSha256: sha256Hex(ALICE) }] })).toThrow(/exactly one of "token" or "tokenSha256"/);
    expect(bad({ principals: [{ id: 'a', tokenSha256: 'xyz' }] })).toThrow(/tokenSha256: must be 64 hex digits/);
    expect(
      bad({
        principals: [
          { id: 'a', token: ALICE },
          { id: 'b', token: ALICE },
        ],
      }),
    ).toThrow(/\/principals\/1: repeats a token/);
    expect(bad({ principals: [{ id: 'a', token: ALICE, role: 'admin' }] })).toThrow(/unknown field "role"/);
    expect(bad({ principals: [{ id: 'a', token: ALICE, sessions: [''] }] })).toThrow(/\/principals\/0\/sessions/);
  });

  it('matches * patterns without backtracking blow-ups', () => {
    expect(matchesPattern('alice-*', 'alice-1')).toBe(true);
    expect(matchesPattern('alice-*', 'alice-')).toBe(true);
    expect(matchesPattern('alice-*', 'xalice-1')).toBe(false);
    expect(matchesPattern('*:ops:*', 'team:ops:42')).toBe(true);
    expect(matchesPattern('exact', 'exact')).toBe(true);
    expect(matchesPattern('exact', 'exactly')).toBe(false);
    expect(matchesPattern('*', '')).toBe(true);
    // A pattern that makes a naive matcher explode answers at once.
    expect(matchesPattern('a*a*a*a*a*a*a*a*b', 'a'.repeat(128))).toBe(false);
  });
});

describe('per-principal rules on the wire', () => {
  it('joins and lists as the rules say, with refusals that say nothing about the session', async () => {
    const gw = await h.start({ auth: principalRulesAuth(parseTokenFile(file), { reservedPrefixes: ['internal-'] }), controlToken: 'ctl' });
    const alice = await h.client(gw, { token: ALICE });
    const bob = await h.client(gw, { token: BOB });
    expect((alice.rec.packets[0]!.args[0] as { principal: string }).principal).toBe('alice');
    for (const sessionId of ['alice-1', 'team:plans']) expect((await alice.request('join', { sessionId })).ok).toBe(true);
    expect((await bob.request('join', { sessionId: 'bob-1' })).ok).toBe(true);
    expect((await bob.request('join', { sessionId: 'team:plans' })).ok).toBe(true);
    await alice.request('join', { sessionId: 'team:secret-x' });

    const refusedExisting = await bob.request('join', { sessionId: 'alice-1' });
    const refusedUnknown = await bob.request('join', { sessionId: 'alice-never' });
    const denied = await bob.request('join', { sessionId: 'team:secret-x' });
    for (const refusal of [refusedExisting, refusedUnknown, denied])
      expect(refusal).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'Not allowed to use this session.', retryable: false } });
    expect(await bob.request('chat.send', { sessionId: 'alice-1', text: 'x', idempotencyKey: 'k' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const bobList = await bob.request('sessions.list', { limit: 1000 });
    expect(bobList.ok && bobList.data.sessions.map((r) => r.sessionId).sort()).toEqual(['bob-1', 'team:plans']);
    const aliceList = await alice.request('sessions.list', { limit: 1000 });
    expect(aliceList.ok && aliceList.data.sessions.map((r) => r.sessionId).sort()).toEqual(['alice-1', 'team:plans', 'team:secret-x']);

    // A reserved prefix is refused to every principal; the control surface still reaches it.
    expect(await alice.request('join', { sessionId: 'internal-1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const ctl = await h.client(gw, { token: ALICE, controlToken: 'ctl' });
    expect(await ctl.request('control', { type: 'session.trim', sessionId: 'internal-1', oldestCursor: 1 })).toMatchObject({ ok: true });

    expect((await h.refused(gw, { token: 'not-a-known-token-at-all' })).message).toBe('UNAUTHORIZED');
  });
});

describe('failed handshakes are throttled', () => {
  it('answers the first failures at once, then later and later, and refuses unchecked while too many wait (fake timers)', async () => {
    vi.useFakeTimers();
    const throttle = new HandshakeThrottle({ freeFailures: 2, baseDelayMs: 100, maxDelayMs: 400, maxPendingPerAddress: 2, windowMs: 10_000 });
    const settled: number[] = [];
    const fail = (n: number) => void throttle.failed('10.0.0.1').then(() => settled.push(n));
    fail(1);
    fail(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toEqual([1, 2]);
    fail(3);
    fail(4);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toEqual([1, 2]);
    // Two refusals held back: a third handshake from the address is refused without a check.
    expect(throttle.admit('10.0.0.1')).toEqual({ admitted: false, retryAfterMs: 400 });
    expect(throttle.admit('10.0.0.2')).toEqual({ admitted: true });
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toEqual([1, 2, 3, 4]);
    expect(throttle.admit('10.0.0.1')).toEqual({ admitted: true });
    // Failures leave the window; the address is forgotten.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(throttle.size).toBe(0);
  });

  it('closes a connection that keeps failing, and lets a valid token through while a flood is throttled', async () => {
    const gw = await h.start({
      token: 'the-real-token',
      handshakeThrottle: { freeFailures: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxPendingPerAddress: 3, maxFailuresPerConnection: 3 },
    });
    // One engine.io connection, the namespace tried again and again with wrong tokens, as a guesser
    // speaking the wire protocol does (a socket.io client gives up its connection after one refusal).
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const refusals: string[] = [];
    let attempts = 0;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '2') return ws.send('3'); // engine.io ping
      if (text.startsWith('44')) refusals.push((JSON.parse(text.slice(2)) as { message: string }).message);
      // After the engine.io open packet, and after every refusal: try again, up to 50 times.
      if ((text.startsWith('0') || text.startsWith('44')) && attempts < 50 && ws.readyState === WebSocket.OPEN) {
        attempts += 1;
        ws.send(`40${JSON.stringify({ token: `guess-${attempts}` })}`);
      }
    });
    await closed;
    expect(refusals).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);

    // A flood from the same address: some are refused without their token being looked at.
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => h.refused(gw, { token: `flood-${i}` })));
    const unchecked = outcomes.filter((e) => e.message === 'LIMIT_EXCEEDED');
    expect(unchecked.length).toBeGreaterThan(0);
    for (const e of unchecked) expect(e.data).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: true, details: { limit: 'failedHandshakes' } });
    expect(outcomes.every((e) => e.message === 'LIMIT_EXCEEDED' || e.message === 'UNAUTHORIZED')).toBe(true);
    // The real token is never delayed.
    const real = await h.client(gw, { token: 'the-real-token' });
    expect(real.socket.connected).toBe(true);
  });
});
