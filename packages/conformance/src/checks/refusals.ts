import { MAX_CHAT_TEXT_LENGTH, PROTOCOL_MAJOR, type SessionsChanged } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';
import { chatSend, listFollower, randomTail } from './helpers.js';
import { listRow } from './rows.js';

/**
 * R1.7: a refused request creates nothing. Each check watches a never-used session id three ways
 * (the list, the sessions.changed broadcast, the gateway's session count) while requests for it
 * are refused, then makes one valid request for it and sees all three react, so the observation
 * itself is proven able to see a creation.
 */
interface Watch {
  ctx: CheckContext;
  listener: Connection;
  sessionsBefore: number;
}

async function sessionCount(conn: Connection): Promise<number> {
  return expectOk(await conn.request('diagnostics.get', {}), 'diagnostics.get').sessions;
}

async function watch(ctx: CheckContext): Promise<Watch> {
  const listener = await listFollower(ctx);
  return { ctx, listener, sessionsBefore: await sessionCount(listener) };
}

/** Nothing exists of the session: no row, no broadcast, no new session in the gateway's count. */
async function expectNothingCreated(w: Watch, sessionId: string, what: string): Promise<void> {
  await w.listener.barrier();
  const row = await listRow(w.listener, sessionId);
  expect(row === undefined, `${what} created a session row`, `no row for ${sessionId} in sessions.list`, row ?? null);
  const changed = w.listener.packets.filter((p) => p.event === 'sessions.changed' && (p.payload as SessionsChanged).sessionId === sessionId);
  expect(
    changed.length === 0,
    `${what} was broadcast as a session change`,
    `no sessions.changed for ${sessionId}`,
    changed.map((p) => p.payload),
  );
  const count = await sessionCount(w.listener);
  expect(
    count <= w.sessionsBefore,
    `${what} raised the gateway's session count from ${w.sessionsBefore} to ${count}`,
    `diagnostics.sessions at most ${w.sessionsBefore}`,
    count,
  );
}

/** The positive control: a valid request for the session does show up in all three places. */
async function expectCreationVisible(w: Watch, sessionId: string, what: string): Promise<void> {
  await w.listener.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === sessionId);
  const row = await listRow(w.listener, sessionId);
  expect(row !== undefined, `${what} created no visible row`, `a row for ${sessionId}`, null, ['R4.1']);
  const count = await sessionCount(w.listener);
  if (count <= w.sessionsBefore) w.ctx.note(`diagnostics.sessions did not grow when ${what} created a session; only the list and the broadcast were watched`);
}

const otherMajor = () => `${PROTOCOL_MAJOR + 98}.0`;

export const refusalChecks: Check[] = [
  verifies('R1.7', {
    id: 'refusal.join-creates-nothing',
    title: 'a join refused for an unsupported version or invalid params creates no session, row or sessions.changed',
    walks: [
      walk('request:join', 'session:fresh', 'conn:plain'),
      walk('request:diagnostics.get', 'conn:plain'),
      walk('request:sessions.list', 'session:fresh'),
      walk('event:sessions.changed', 'session:fresh'),
    ],
    run: async (ctx) => {
      const w = await watch(ctx);
      const sessionId = ctx.sessionId('refused-join');
      const conn = await ctx.client('joiner');
      expectError(
        (await conn.requestRaw('join', { sessionId, protocolVersion: otherMajor() })).payload,
        'UNSUPPORTED_PROTOCOL_VERSION',
        'join for another major',
      );
      expectError((await conn.requestRaw('join', { sessionId, since: -1 })).payload, 'INVALID_MESSAGE', 'join with since -1', { path: '/since' });
      expectError((await conn.requestRaw('join', { sessionId, since: 1, epoch: 'not an epoch!' })).payload, 'INVALID_MESSAGE', 'join with a malformed epoch');
      expectError((await conn.requestRaw('join', { sessionId, bogus: true })).payload, 'INVALID_MESSAGE', 'join with an unknown property', { path: '/bogus' });
      await expectNothingCreated(w, sessionId, 'a refused join');
      expectOk(await conn.request('chat.send', { sessionId, text: 'now for real', idempotencyKey: `real-${randomTail()}` }), 'a valid chat.send');
      await expectCreationVisible(w, sessionId, 'a valid chat.send after the refusals');
    },
  }),
  verifies('R1.7', {
    id: 'refusal.chat-send-creates-nothing',
    title:
      'a refused chat.send (invalid, text over the schema bound, or oversized), and chat.abort / run.subscribe of no run, create no session, row, run or sessions.changed',
    walks: [
      walk('request:chat.send', 'session:fresh', 'log:empty', 'conn:plain'),
      walk('request:chat.abort', 'session:fresh', 'run:unknown'),
      walk('request:run.subscribe', 'session:fresh', 'run:unknown'),
      walk('request:leave', 'session:fresh'),
      walk('request:sessions.list', 'session:fresh', 'run:queued'),
      walk('event:sessions.changed', 'session:fresh', 'run:queued'),
    ],
    run: async (ctx) => {
      const w = await watch(ctx);
      const sessionId = ctx.sessionId('refused-send');
      const conn = await ctx.client('sender');
      const key = `refused-${randomTail()}`;
      expectError((await conn.requestRaw('chat.send', { sessionId, text: '', idempotencyKey: key })).payload, 'INVALID_MESSAGE', 'chat.send with empty text');
      expectError((await conn.requestRaw('chat.send', { sessionId, text: 'x' })).payload, 'INVALID_MESSAGE', 'chat.send without a key');
      // Over the schema's bound on the text, though well within the payload limit.
      if (MAX_CHAT_TEXT_LENGTH + 1024 < ctx.hello.limits.maxPayloadBytes) {
        expectError(
          (await conn.requestRaw('chat.send', { sessionId, text: 't'.repeat(MAX_CHAT_TEXT_LENGTH + 1), idempotencyKey: key })).payload,
          'INVALID_MESSAGE',
          `chat.send with text over ${MAX_CHAT_TEXT_LENGTH} characters`,
        );
      }
      const limit = ctx.hello.limits.maxPayloadBytes;
      if (limit <= 16 * 1024 * 1024) {
        expectError(
          (await conn.requestRaw('chat.send', { sessionId, text: 'y'.repeat(limit + 1024), idempotencyKey: key })).payload,
          'PAYLOAD_TOO_LARGE',
          'an oversized chat.send',
        );
      }
      expectError(await conn.request('chat.abort', { sessionId, runId: 'no-such-run-1' }), 'RUN_NOT_FOUND', 'chat.abort in a never-used session');
      expectError(await conn.request('run.subscribe', { sessionId, runId: 'no-such-run-1' }), 'RUN_NOT_FOUND', 'run.subscribe in a never-used session');
      const left = expectOk(await conn.request('leave', { sessionId }), 'leave of a session never joined');
      expect(left.left === false, 'leaving a session never joined answered left: true', 'left false', left, ['R2.3']);
      await expectNothingCreated(w, sessionId, 'a refused chat.send');
      // The same key is unused: the refused sends claimed nothing.
      const sent = await chatSend(conn, sessionId, key, 'now for real');
      expect(sent.duplicate === false, 'the key of a refused chat.send was claimed by it', 'duplicate false: a refused send claims no key', sent);
      await expectCreationVisible(w, sessionId, 'a valid chat.send after the refusals');
    },
  }),
  verifies('R1.7', {
    id: 'refusal.control-creates-nothing',
    title: 'control commands refused (no control token, wrong control token, invalid) create no session, row or sessions.changed',
    requires: ['control:session.append'],
    walks: [
      walk('request:control', 'session:fresh', 'auth:missing', 'auth:wrong'),
      walk('control:session.append', 'session:fresh', 'auth:missing', 'auth:wrong'),
      walk('control:run.script', 'session:fresh', 'auth:missing'),
      walk('control:lane.hold', 'session:fresh', 'auth:missing'),
    ],
    run: async (ctx) => {
      const w = await watch(ctx);
      const sessionId = ctx.sessionId('refused-control');
      const plain = await ctx.client('plain');
      for (const command of [
        { type: 'session.append', sessionId, events: [messageEvent('intrusion')] },
        { type: 'run.script', sessionId, steps: [{ type: 'chunks', count: 1, text: 'x' }] },
        { type: 'lane.hold', sessionId },
      ]) {
        expectError((await plain.requestRaw('control', command)).payload, 'CONTROL_DISABLED', `control ${command.type} without the control token`);
      }
      const wrong = ctx.connection('wrong-control', { controlToken: `${ctx.config.controlToken ?? 'x'}-wrong` });
      const opened = await wrong.openExpectingRefusal();
      if (!opened.refused) {
        const answer = await wrong.requestRaw('control', { type: 'session.append', sessionId, events: [messageEvent('intrusion')] });
        expectError(answer.payload, 'CONTROL_DISABLED', 'control session.append with a wrong control token');
      }
      const ctl = await ctx.controller();
      const invalid = await ctl.requestRaw('control', { type: 'session.append', sessionId, events: [{ type: 'message', text: 'no id' }] });
      expectError(invalid.payload, 'INVALID_MESSAGE', 'an invalid session.append');
      await expectNothingCreated(w, sessionId, 'a refused control command');
      await ctx.append(sessionId, [messageEvent('for real')]);
      await expectCreationVisible(w, sessionId, 'a valid session.append after the refusals');
    },
  }),
  verifies(['R1.7', 'R6.1'], {
    id: 'refusal.forbidden-creates-nothing',
    title: "a join or chat.send refused as FORBIDDEN creates no session (the gateway's session count does not move)",
    requires: ['feature:forbidden-prefix'],
    covers: ['R6.1#authorisation'],
    walks: [walk('request:join', 'session:fresh'), walk('request:chat.send', 'session:fresh'), walk('request:diagnostics.get')],
    run: async (ctx) => {
      const conn = await ctx.client('outsider');
      const before = await sessionCount(conn);
      const sessionId = `${ctx.config.forbiddenPrefix!}${randomTail()}`;
      expectError((await conn.requestRaw('join', { sessionId })).payload, 'FORBIDDEN', 'join of a forbidden session');
      expectError(
        (await conn.requestRaw('chat.send', { sessionId, text: 'let me in', idempotencyKey: `forbidden-${randomTail()}` })).payload,
        'FORBIDDEN',
        'chat.send to a forbidden session',
      );
      const after = await sessionCount(conn);
      expect(after <= before, `the refused requests raised the session count from ${before} to ${after}`, `diagnostics.sessions at most ${before}`, after, [
        'R1.7',
      ]);
      // The count must be able to move: a permitted fresh session raises it.
      await conn.request('join', { sessionId: ctx.sessionId('permitted') });
      const permitted = await sessionCount(conn);
      if (permitted <= after) ctx.skip('diagnostics.sessions does not grow when a session is created, so it cannot show that a refusal created none');
    },
  }),
];
