import { REQUEST_NAMES } from '@agent-gateway/schema';
import { verifies, walk, walkAbsent, type Check, type Walk } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import { CheckFailure } from '../harness/errors.js';
import { joinOk } from '../harness/session.js';
import { expectLogUnchanged, expectUsable, followSessionList, seededSession } from './helpers.js';

async function expectRefusedHandshake(ctx: CheckContext, name: string, token: string | null, controlToken?: string): Promise<void> {
  const conn = ctx.connection(name, { token, ...(controlToken ? { controlToken } : {}) });
  const outcome = await conn.openExpectingRefusal();
  if (!outcome.refused)
    throw new CheckFailure(
      `a handshake with ${token === null ? (controlToken ? 'only the control token' : 'no token') : 'a wrong token'} was accepted`,
      ['connect_error UNAUTHORIZED, no hello'],
      outcome.hello ?? conn.packets.map((p) => p.event),
    );
  const data = outcome.refusal.data as { code?: string } | undefined;
  expect(
    outcome.refusal.message === 'UNAUTHORIZED' || data?.code === 'UNAUTHORIZED',
    'the refusal is not UNAUTHORIZED',
    'connect_error UNAUTHORIZED',
    outcome.refusal,
  );
  expect(
    conn.packets.length === 0,
    'a refused connection received events',
    'nothing but connect_error',
    conn.packets.map((p) => p.event),
  );
}

/** The flood sends every request of the protocol, malformed, on an ordinary connection. */
const FLOOD_WALKS: Walk[] = REQUEST_NAMES.map((name) => walk(`request:${name}`, 'conn:plain'));

export const securityChecks: Check[] = [
  verifies('R6.1', {
    id: 'auth.wrong-token-refused',
    title: 'a handshake with a wrong token is refused with UNAUTHORIZED and receives nothing',
    requires: ['feature:token'],
    covers: ['R6.1#authentication'],
    walks: [walkAbsent('event:hello', 'auth:wrong')],
    run: (ctx) => expectRefusedHandshake(ctx, 'wrong-token', `${ctx.config.token}-wrong`),
  }),
  verifies('R6.1', {
    id: 'auth.missing-token-refused',
    title: 'a handshake without a token is refused with UNAUTHORIZED',
    requires: ['feature:token'],
    covers: ['R6.1#authentication'],
    walks: [walkAbsent('event:hello', 'auth:missing')],
    run: (ctx) => expectRefusedHandshake(ctx, 'no-token', null),
  }),
  verifies('R6.1', {
    id: 'auth.control-token-alone-refused',
    title: 'a handshake carrying only the control token is refused with UNAUTHORIZED: it is no credential for the protocol',
    requires: ['feature:token'],
    covers: ['R6.1#authentication'],
    walks: [walkAbsent('event:hello', 'auth:control-only')],
    run: async (ctx) => {
      if (!ctx.config.controlToken) ctx.skip('no control token was given (--control-token), so there is none to present alone');
      await expectRefusedHandshake(ctx, 'control-only', null, ctx.config.controlToken);
    },
  }),
  verifies('R6.1', {
    id: 'auth.refusal-leaks-nothing',
    title: 'a refused handshake says nothing about existing sessions',
    requires: ['feature:token', 'control:session.append'],
    covers: ['R6.1#authentication', 'R6.1#no-leak'],
    walks: [walkAbsent('event:hello', 'auth:wrong'), walkAbsent('event:joined', 'auth:wrong'), walkAbsent('event:replay', 'auth:wrong')],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = ctx.connection('intruder', { token: 'not-the-token' });
      const outcome = await conn.openExpectingRefusal();
      expect(outcome.refused, 'a wrong token was accepted', 'connect_error', outcome);
      const text = JSON.stringify(outcome.refused ? outcome.refusal : outcome);
      expect(!text.includes(seeded.sessionId) && !text.includes(seeded.epoch), 'the refusal mentions a session', 'no session id or epoch in the refusal', text);
      conn.emitRaw('join', { sessionId: seeded.sessionId });
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'a refused connection tried to join');
    },
  }),
  verifies('R6.1', {
    id: 'auth.join-unknown-session-uniform',
    title: 'joining a never-used session answers an empty log, the same shape as any other',
    covers: ['R6.1#no-leak'],
    walks: [walk('request:join', 'session:fresh', 'log:empty', 'conn:plain'), walk('event:snapshot', 'session:fresh', 'log:empty')],
    run: async (ctx) => {
      const conn = await ctx.client();
      const fresh = await joinOk(conn, { sessionId: ctx.sessionId('never') });
      expect(
        fresh.joined.cursor === 0 && fresh.joined.resyncRequired,
        'a never-used session does not join as an empty log',
        'cursor 0, fresh snapshot',
        fresh.joined,
      );
    },
  }),
  verifies('R6.1', {
    id: 'auth.forbidden-join-leaks-nothing',
    title: 'a session the principal may not use is refused the same way whether it exists or not, and nothing of it leaks',
    requires: ['feature:forbidden-prefix', 'control:session.append'],
    covers: ['R6.1#authorisation', 'R6.1#no-leak'],
    walks: [
      walk('request:join', 'session:existing', 'session:fresh', 'conn:plain'),
      walk('request:chat.send', 'session:existing', 'conn:plain'),
      walk('request:sessions.list', 'session:existing'),
      walkAbsent('event:sessions.changed', 'session:existing'),
    ],
    run: async (ctx) => {
      const prefix = ctx.config.forbiddenPrefix!;
      const rand = () => Math.random().toString(36).slice(2, 10);
      const existing = `${prefix}${rand()}`;
      const absent = `${prefix}${rand()}`;
      const conn = await ctx.client('outsider');
      // Following the session list, the outsider would hear of every row it may see, and of no other.
      await followSessionList(conn);
      const seeded = await ctx.append(existing, [messageEvent('secret 1'), messageEvent('secret 2')]);
      const a = await conn.requestRaw('join', { sessionId: existing, since: 0, epoch: seeded.epoch });
      const b = await conn.requestRaw('join', { sessionId: absent, since: 0, epoch: seeded.epoch });
      const ea = expectError(a.payload, 'FORBIDDEN', 'join of a forbidden existing session');
      const eb = expectError(b.payload, 'FORBIDDEN', 'join of a forbidden unknown session');
      const scrub = (e: unknown) => JSON.stringify(e).split(existing).join('<id>').split(absent).join('<id>');
      expect(scrub(ea) === scrub(eb), 'the refusal differs between an existing and an unknown session', 'identical refusals (apart from the id)', {
        existing: ea,
        unknown: eb,
      });
      expect(
        !JSON.stringify(ea).includes(seeded.epoch) && !JSON.stringify(ea).includes('secret'),
        'the refusal leaks session data',
        'no epoch or content in the refusal',
        ea,
      );
      const leaked = conn.packets.filter((p) => ['joined', 'replay', 'snapshot', 'session.event', 'session.tool'].includes(p.event));
      expect(
        leaked.length === 0,
        'a refused join still delivered session data',
        'no joined, replay, snapshot or frames',
        leaked.map((p) => p.event),
      );
      const sendAnswer = await conn.requestRaw('chat.send', { sessionId: existing, text: 'let me in', idempotencyKey: `intrude-${rand()}` });
      expectError(sendAnswer.payload, 'FORBIDDEN', 'chat.send to a forbidden session');
      const listed = expectOk(await conn.request('sessions.list', { limit: 1000 }), 'sessions.list');
      expect(
        !listed.sessions.some((r) => r.sessionId === existing),
        'sessions.list shows a forbidden session',
        'the forbidden session not listed',
        listed.sessions.map((r) => r.sessionId),
      );
      const rows = conn.packets.filter((p) => p.event === 'sessions.changed' && JSON.stringify(p.payload).includes(existing));
      expect(rows.length === 0, 'sessions.changed leaked a forbidden session', 'no sessions.changed for it', rows.length);
      const ctl = await ctx.controller();
      const head = await ctl.request('join', { sessionId: existing });
      if (head.ok)
        expect(head.data.cursor === seeded.cursor, 'the refused chat.send changed the forbidden session', `cursor ${seeded.cursor}`, head.data.cursor);
    },
  }),
  verifies('R6.3', {
    id: 'robustness.malformed-flood',
    walks: FLOOD_WALKS,
    title: 'a flood of malformed and oversized messages crashes nothing and corrupts no log',
    prefers: ['control:session.append'],
    timeoutFactor: 2,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 5);
      const conn = await ctx.client('flood');
      await joinOk(conn, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      const deep: Record<string, unknown> = {};
      let cursor = deep;
      for (let i = 0; i < 200; i++) cursor = (cursor.n = {}) as Record<string, unknown>;
      const junk: unknown[] = [
        null,
        0,
        -1,
        'string',
        [],
        [1, 2, 3],
        true,
        deep,
        { sessionId: seeded.sessionId, since: '__proto__' },
        { sessionId: '../../etc', since: NaN },
        { sessionId: seeded.sessionId, since: 1e308 },
        JSON.parse('{"__proto__": {"polluted": true}}'),
        { constructor: { prototype: { polluted: true } } },
        { sessionId: 'x'.repeat(10_000) },
        Buffer.from([0, 1, 2, 255]),
        { sessionId: seeded.sessionId, text: '\u0000\ud800', idempotencyKey: '\n' },
      ];
      // Every request of the protocol, then names that are none (one of them a prototype key).
      const events = [...REQUEST_NAMES, 'bogus', '__proto__', 'constructor'];
      const acks: Promise<unknown>[] = [];
      for (const event of events) {
        for (const payload of junk) {
          conn.emitRaw(event, payload);
          acks.push(conn.requestRaw(event, payload));
        }
        conn.emitRaw(event);
        conn.emitRaw(event, 1, 2, 3);
      }
      const answers = await Promise.all(acks);
      const accepted = answers.filter((a) => (a as { payload: { ok?: boolean } }).payload?.ok === true);
      expect(
        accepted.length === 0,
        `${accepted.length} malformed messages were accepted`,
        'every malformed message refused',
        accepted.slice(0, 3).map((a) => (a as { event: string }).event),
      );
      await expectUsable(conn, 'the flood');
      const other = await ctx.client('after-flood');
      await expectUsable(other, 'the flood (new connection)');
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'the malformed flood');
      expect(
        conn.frames(seeded.sessionId).length === 0,
        'the flood produced session frames',
        'no new events in the session',
        conn.frames(seeded.sessionId).length,
      );
      const polluted = ({} as Record<string, unknown>).polluted;
      expect(polluted === undefined, 'prototype pollution reached the suite', 'no pollution', polluted);
    },
  }),
  verifies('R6.3', {
    id: 'robustness.log-intact-after-bad-input',
    walks: [walk('request:chat.send', 'session:existing', 'conn:plain'), walk('event:replay', 'session:existing', 'conn:plain')],
    title: 'after rejected input a replay of the whole log is identical to before',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 6);
      const reader = await ctx.client('reader');
      const before = await joinOk(reader, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      const conn = await ctx.client('bad');
      await joinOk(conn, { sessionId: seeded.sessionId });
      for (const bad of [
        { sessionId: seeded.sessionId, text: '', idempotencyKey: 'k' },
        { sessionId: seeded.sessionId, text: 'x', idempotencyKey: 'with space' },
        { sessionId: seeded.sessionId, text: 5, idempotencyKey: 'k2' },
      ]) {
        expectError((await conn.requestRaw('chat.send', bad)).payload, 'INVALID_MESSAGE', `chat.send ${JSON.stringify(bad)}`);
      }
      const again = await ctx.client('reader2');
      const after = await joinOk(again, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      expect(
        JSON.stringify(after.replayed.map((f) => f.frame)) === JSON.stringify(before.replayed.map((f) => f.frame)),
        'the replayed log differs after rejected input',
        'an identical replay',
        { before: before.replayed.length, after: after.replayed.length },
      );
    },
  }),
];
