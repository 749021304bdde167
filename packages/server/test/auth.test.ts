import type { Hello, WireError } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { messages } from './helpers/events.js';
import { createHarness } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const h = createHarness();
afterEach(() => h.closeAll());

describe('authentication and authorisation (R6.1)', () => {
  it('refuses a missing or wrong token with UNAUTHORIZED, accepts the right one', async () => {
    const gw = await h.start({ token: 'secret' });
    for (const auth of [{}, { token: 'wrong' }, { token: '' }]) {
      const error = await h.refused(gw, auth);
      expect(error.message).toBe('UNAUTHORIZED');
      expect(error.data).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const c = await h.client(gw, { token: 'secret' });
    expect((c.rec.packets[0]!.args[0] as Hello).principal).toBe('token');
  });

  it('uses a pluggable verifier and per-session authorisation; a refusal says nothing about existence', async () => {
    const gw = await h.start({
      controlToken: 'ctl',
      auth: {
        verifyToken: async (token) => (token?.startsWith('user:') ? { id: token.slice(5) } : null),
        authorizeSession: (principal, sessionId) => sessionId.startsWith(`${principal.id}-`),
      },
    });
    const admin = await h.client(gw, { token: 'user:alice', controlToken: 'ctl' });
    await admin.request('control', { type: 'session.append', sessionId: 'alice-chat', events: messages(3) });
    await admin.request('control', { type: 'session.append', sessionId: 'carol-exists', events: messages(3) });
    const bob = await h.client(gw, { token: 'user:bob' });
    const existing = (await bob.request('join', { sessionId: 'carol-exists' })) as { ok: false; error: WireError };
    const missing = (await bob.request('join', { sessionId: 'carol-missing' })) as { ok: false; error: WireError };
    expect(existing).toEqual(missing);
    expect(existing.error.code).toBe('FORBIDDEN');
    expect(internalsOf(gw).sessions.get('carol-missing')).toBeUndefined();
    expect(await bob.request('chat.send', { sessionId: 'carol-exists', text: 'hi', idempotencyKey: 'k' })).toEqual(existing);
    expect(await bob.request('chat.abort', { sessionId: 'carol-exists', runId: 'r1' })).toEqual(existing);
    expect(await bob.request('run.subscribe', { sessionId: 'carol-exists', runId: 'r1' })).toEqual(existing);
    expect(bob.rec.packets.map((p) => p.event)).not.toContain('snapshot');
    const list = await bob.request('sessions.list', {});
    expect(list).toEqual({ ok: true, data: { sessions: [] } });
    const own = await bob.request('join', { sessionId: 'bob-1' });
    expect(own.ok).toBe(true);
    const aliceList = await admin.request('sessions.list', {});
    if (!aliceList.ok) throw new Error();
    expect(aliceList.data.sessions.map((r) => r.sessionId)).toEqual(['alice-chat']);
  });
});

describe('control surface guard (R6.2, R8.1)', () => {
  it('is off by default: every command answers CONTROL_DISABLED and changes nothing', async () => {
    const gw = await h.start();
    const c = await h.client(gw, { controlToken: 'anything' });
    expect((c.rec.packets[0]!.args[0] as Hello).control.enabled).toBe(false);
    const result = await c.request('control', { type: 'session.append', sessionId: 's', events: messages(1) });
    expect(result).toMatchObject({ ok: false, error: { code: 'CONTROL_DISABLED' } });
    expect(internalsOf(gw).sessions.get('s')).toBeUndefined();
  });

  it('needs its own token when enabled', async () => {
    const gw = await h.start({ controlToken: 'ctl' });
    const without = await h.client(gw);
    expect(await without.request('control', { type: 'capabilities' })).toMatchObject({ ok: false, error: { code: 'CONTROL_DISABLED' } });
    const wrong = await h.client(gw, { controlToken: 'nope' });
    expect(await wrong.request('control', { type: 'session.trim', sessionId: 's', oldestCursor: 2 })).toMatchObject({
      ok: false,
      error: { code: 'CONTROL_DISABLED' },
    });
    const right = await h.client(gw, { controlToken: 'ctl' });
    const hello = right.rec.packets[0]!.args[0] as Hello;
    expect(hello.control.enabled).toBe(true);
    const caps = await right.request('control', { type: 'capabilities' });
    expect(caps).toMatchObject({ ok: true, data: { type: 'capabilities' } });
    if (!caps.ok) throw new Error();
    expect(caps.data.commands).toEqual(hello.control.commands);
    expect(caps.data.commands).toEqual(
      expect.arrayContaining(['capabilities', 'session.append', 'session.trim', 'session.recreate', 'run.script', 'run.release', 'cleanup.delay']),
    );
  });

  it('answers commands it lacks with CONTROL_UNSUPPORTED', async () => {
    const gw = await h.start({ controlToken: 'ctl' });
    const c = await h.client(gw, { controlToken: 'ctl' });
    const caps = await c.request('control', { type: 'capabilities' });
    if (!caps.ok) throw new Error();
    const missing = (['pressure.set', 'lane.hold', 'lane.release', 'system.enqueue', 'heartbeat.trigger'] as const).filter(
      (n) => !caps.data.commands!.includes(n),
    );
    for (const name of missing) {
      const command =
        name === 'pressure.set'
          ? { type: name, simulated: true }
          : name === 'system.enqueue'
            ? { type: name, sessionId: 's', kind: 'k', text: 't' }
            : { type: name, sessionId: 's' };
      expect(await c.request('control', command as never)).toMatchObject({ ok: false, error: { code: 'CONTROL_UNSUPPORTED', details: { command: name } } });
    }
  });
});
