import { PROTOCOL_MAJOR, type ProtocolErrorEvent } from '@agent-gateway/schema';
import { verifies, walk, walkAbsent, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import { CheckFailure } from '../harness/errors.js';
import { joinOk } from '../harness/session.js';
import { expectLogUnchanged, expectUsable, seededSession } from './helpers.js';

/**
 * Send a bad `join` for a seeded session and demand INVALID_MESSAGE at `path`, an unchanged log
 * and a connection that still works. Shared by every bad-input case.
 */
async function rejectsBadJoin(ctx: CheckContext, params: (s: { sessionId: string; epoch: string }) => unknown, path: string, what: string): Promise<void> {
  const seeded = await seededSession(ctx, 3);
  const conn = await ctx.client();
  const answer = await conn.requestRaw('join', params(seeded));
  expectError(answer.payload, 'INVALID_MESSAGE', what, { path });
  const leaked = conn.packets.slice(0, answer.index).filter((p) => p.event === 'joined' || p.event === 'replay' || p.event === 'snapshot');
  expect(
    leaked.length === 0,
    `${what} was answered with session data before the error`,
    'no joined, replay or snapshot for a rejected join',
    leaked.map((p) => p.event),
  );
  await expectUsable(conn, what);
  const again = await joinOk(conn, { sessionId: seeded.sessionId });
  expect(again.joined.cursor === seeded.cursor, 'a valid join after the rejected one reports a different head', `cursor ${seeded.cursor}`, again.joined.cursor);
  await expectLogUnchanged(ctx, seeded.sessionId, seeded, what);
}

const since = (value: unknown) => (s: { sessionId: string; epoch: string }) => ({ sessionId: s.sessionId, since: value, epoch: s.epoch });

export const envelopeChecks: Check[] = [
  verifies('R1.1', {
    id: 'schema.hello-valid',
    walks: [
      walk('event:hello', 'conn:plain'),
      walk('request:join', 'session:existing', 'conn:plain'),
      walk('event:joined', 'session:existing', 'conn:plain'),
      walk('event:replay', 'session:existing', 'conn:plain'),
    ],
    title: 'hello and every frame of a join validate against the schema',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client();
      expect(conn.packets[0]?.event === 'hello', 'the first event after connecting is not hello', 'hello first', conn.packets[0]?.event);
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      // Every inbound payload was validated on arrival; the runner fails the check on any violation.
      // Whether the replay is complete is R2.4/R2.5's question, not this check's: it only notes it.
      if (outcome.replayed.length !== 2)
        ctx.note(`the join with since 0 brought ${outcome.replayed.length} replayed frames and ${outcome.snapshots.length} snapshots`);
    },
  }),
  verifies('R1.2', {
    id: 'ingress.unknown-field',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'join with an unknown property is INVALID_MESSAGE at that path and changes nothing',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, (s) => ({ sessionId: s.sessionId, bogus: true }), '/bogus', 'join with an unknown property'),
  }),
  verifies('R1.2', {
    id: 'ingress.missing-field',
    walks: [walk('request:chat.send', 'session:existing', 'conn:plain')],
    title: 'chat.send without idempotencyKey is INVALID_MESSAGE at /idempotencyKey and starts nothing',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: seeded.sessionId });
      const answer = await conn.requestRaw('chat.send', { sessionId: seeded.sessionId, text: 'hello' });
      expectError(answer.payload, 'INVALID_MESSAGE', 'chat.send without idempotencyKey', { path: '/idempotencyKey' });
      await expectUsable(conn, 'the rejected chat.send');
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'a rejected chat.send');
    },
  }),
  verifies('R1.2', {
    id: 'ingress.wrong-shape',
    walks: [walk('request:sessions.list', 'conn:plain')],
    title: 'a request whose params are not an object is INVALID_MESSAGE',
    run: async (ctx) => {
      const conn = await ctx.client();
      for (const bad of ['a string', 42, null, [1, 2]]) {
        const answer = await conn.requestRaw('sessions.list', bad);
        expectError(answer.payload, 'INVALID_MESSAGE', `sessions.list with params ${JSON.stringify(bad)}`);
      }
      await expectUsable(conn, 'params of the wrong type');
    },
  }),
  verifies('R1.2', {
    id: 'ingress.no-ack-protocol-error',
    walks: [walk('event:protocol.error', 'conn:plain')],
    title: 'an invalid message without acknowledgement is answered with protocol.error',
    run: async (ctx) => {
      const conn = await ctx.client();
      const from = conn.packets.length;
      conn.emitRaw('join', { sessionId: 12345 });
      const packet = await conn.waitFor<ProtocolErrorEvent>('protocol.error', () => true, from);
      expect(packet.payload.error?.code === 'INVALID_MESSAGE', 'protocol.error has the wrong code', 'error.code INVALID_MESSAGE', packet.payload);
      const paths = (packet.payload.error.details?.issues ?? []).map((i) => i.path);
      expect(paths.includes('/sessionId'), 'protocol.error does not name /sessionId', 'details.issues with path /sessionId', packet.payload);
      await expectUsable(conn, 'an unacknowledged invalid message');
    },
  }),
  verifies('R1.2', {
    id: 'ingress.invalid-control-command',
    walks: [walk('request:control', 'session:existing', 'conn:plain'), walk('control:session.append', 'session:existing')],
    title: 'an invalid control command is INVALID_MESSAGE and appends nothing',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const ctl = await ctx.controller();
      const answer = await ctl.requestRaw('control', { type: 'session.append', sessionId: seeded.sessionId, events: [{ type: 'message', text: 'no id' }] });
      expectError(answer.payload, 'INVALID_MESSAGE', 'session.append with an invalid event');
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'an invalid control command');
    },
  }),
  verifies('R1.3', {
    id: 'cursor.since-string',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'since "5" (a string) is INVALID_MESSAGE at /since, never coerced',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since('5'), '/since', 'join with since "5"'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-float',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'since 1.5 is INVALID_MESSAGE at /since',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(1.5), '/since', 'join with since 1.5'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-negative',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'since -1 is INVALID_MESSAGE at /since',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(-1), '/since', 'join with since -1'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-huge',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'since 2^64 is INVALID_MESSAGE at /since',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(2 ** 64), '/since', 'join with since 2^64'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-above-safe-integer',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'since 2^53 (above the largest exact integer) is INVALID_MESSAGE at /since',
    prefers: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(2 ** 53), '/since', 'join with since 2^53'),
  }),
  verifies('R1.3', {
    id: 'limit.sessions-list-limit',
    walks: [walk('request:sessions.list', 'conn:plain')],
    title: 'sessions.list with limit 0, 1.5, "10" or 10^9 is INVALID_MESSAGE at /limit',
    run: async (ctx) => {
      const conn = await ctx.client();
      for (const limit of [0, 1.5, '10', 1e9, -3]) {
        const answer = await conn.requestRaw('sessions.list', { limit });
        expectError(answer.payload, 'INVALID_MESSAGE', `sessions.list with limit ${JSON.stringify(limit)}`, { path: '/limit' });
      }
      await expectUsable(conn, 'bad limits');
    },
  }),
  verifies('R1.4', {
    id: 'version.unsupported-major-handshake',
    walks: [walkAbsent('event:hello', 'conn:plain')],
    title: 'a handshake asking for another major is refused with UNSUPPORTED_PROTOCOL_VERSION naming the range',
    run: async (ctx) => {
      const other = `${PROTOCOL_MAJOR + 98}.0`;
      const conn = ctx.connection('v99', { protocolVersion: other });
      const outcome = await conn.openExpectingRefusal();
      if (!outcome.refused)
        throw new CheckFailure(
          `a handshake with protocolVersion ${other} was accepted`,
          ['connect_error UNSUPPORTED_PROTOCOL_VERSION with details.supported'],
          outcome.hello,
        );
      const { message, data } = outcome.refusal;
      const error = data as { code?: string; details?: { supported?: { min?: string; max?: string } } } | undefined;
      expect(
        message === 'UNSUPPORTED_PROTOCOL_VERSION' || error?.code === 'UNSUPPORTED_PROTOCOL_VERSION',
        'the refusal does not say UNSUPPORTED_PROTOCOL_VERSION',
        'connect_error message UNSUPPORTED_PROTOCOL_VERSION',
        outcome.refusal,
      );
      const supported = error?.details?.supported;
      expect(
        supported?.min === ctx.hello.supported.min && supported?.max === ctx.hello.supported.max,
        'the refusal does not name the supported range',
        `details.supported = ${JSON.stringify(ctx.hello.supported)}`,
        outcome.refusal,
      );
    },
  }),
  verifies('R1.4', {
    id: 'version.unsupported-major-join',
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    title: 'a join repeating another major is refused through the ack naming the range',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const conn = await ctx.client();
      const answer = await conn.requestRaw('join', { sessionId: seeded.sessionId, protocolVersion: `${PROTOCOL_MAJOR + 98}.0` });
      const error = expectError(answer.payload, 'UNSUPPORTED_PROTOCOL_VERSION', 'join with another major');
      expect(
        error.details?.supported?.min === ctx.hello.supported.min && error.details?.supported?.max === ctx.hello.supported.max,
        'the join refusal does not name the supported range',
        `details.supported = ${JSON.stringify(ctx.hello.supported)}`,
        error,
      );
      await expectUsable(conn, 'a refused join version');
    },
  }),
  verifies('R1.4', {
    id: 'version.negotiated-in-hello',
    walks: [walk('event:hello', 'conn:plain')],
    title: 'hello states the negotiated version inside the supported range; a same-major request is served',
    run: async (ctx) => {
      const conn = ctx.connection('v-same', { protocolVersion: ctx.hello.supported.min });
      const hello = await conn.open();
      const major = (v: string) => Number(v.split('.')[0]);
      expect(
        major(hello.protocolVersion) === major(hello.supported.min),
        'hello.protocolVersion is outside the supported major',
        `major ${major(hello.supported.min)}`,
        hello.protocolVersion,
      );
      expect(major(hello.supported.min) === major(hello.supported.max), 'the supported range spans majors', 'one major', hello.supported);
    },
  }),
  verifies('R1.4', {
    id: 'version.newer-minor-served',
    title: 'a client asking for a newer minor of the same major is served, not refused, and told the minor chosen (the highest both know)',
    walks: [walk('event:hello', 'conn:plain'), walk('request:join', 'session:fresh', 'conn:plain'), walk('event:joined', 'session:fresh')],
    run: async (ctx) => {
      const { min, max } = ctx.hello.supported;
      const [major, maxMinor] = max.split('.').map(Number) as [number, number];
      const newer = `${major}.${maxMinor + 1}`;
      const conn = ctx.connection('newer-minor', { protocolVersion: newer });
      const outcome = await conn.openExpectingRefusal();
      if (outcome.refused)
        throw new CheckFailure(`a handshake asking for ${newer} (same major, newer minor) was refused`, [`hello with protocolVersion ${max}`], outcome.refusal);
      const hello = await conn.waitUntil('hello', () => conn.hello);
      expect(
        hello.protocolVersion === max,
        `a client asking for ${newer} was told ${hello.protocolVersion}`,
        `hello.protocolVersion ${max}: the highest minor both sides know`,
        hello.protocolVersion,
      );
      const joined = await joinOk(conn, { sessionId: ctx.sessionId('minor'), protocolVersion: newer });
      expect(
        joined.joined.protocolVersion === max,
        `a join repeating ${newer} was answered with protocolVersion ${joined.joined.protocolVersion}`,
        `joined.protocolVersion ${max}`,
        joined.joined,
      );
      if (min !== max) {
        const older = ctx.connection('older-minor', { protocolVersion: min });
        const served = await older.open();
        expect(
          served.protocolVersion === min,
          `a client asking for ${min} was told ${served.protocolVersion}`,
          `hello.protocolVersion ${min}`,
          served.protocolVersion,
        );
      }
    },
  }),
  verifies('R1.5', {
    id: 'ack.result-shape',
    walks: [walk('request:sessions.list', 'conn:plain'), walk('request:chat.abort', 'conn:plain'), walk('request:diagnostics.get', 'conn:plain')],
    title: 'every request is answered through its acknowledgement with ok + data or ok:false + error',
    run: async (ctx) => {
      const conn = await ctx.client();
      const list = await conn.request('sessions.list', {});
      expectOk(list, 'sessions.list');
      const bad = await conn.requestRaw('chat.abort', { sessionId: 'x' });
      expectError(bad.payload, 'INVALID_MESSAGE', 'chat.abort without runId');
      const diag = await conn.request('diagnostics.get', {});
      expectOk(diag, 'diagnostics.get');
      for (const p of conn.packets.filter((q) => q.kind === 'ack')) {
        const r = p.payload as { ok?: unknown };
        expect(
          typeof r === 'object' && r !== null && typeof r.ok === 'boolean',
          `the answer to ${p.event} has no boolean ok`,
          '{ ok: boolean, data | error }',
          p.payload,
        );
      }
    },
  }),
  verifies('R1.6', {
    id: 'ingress.unknown-event',
    covers: ['R1.6#unknown-event'],
    walks: [walk('event:protocol.error', 'conn:plain')],
    title: 'an unknown event is answered UNKNOWN_EVENT (ack) or protocol.error (no ack)',
    run: async (ctx) => {
      const conn = await ctx.client();
      const answer = await conn.requestRaw('no.such.request', { a: 1 });
      expectError(answer.payload, 'UNKNOWN_EVENT', 'an unknown event with ack');
      const from = conn.packets.length;
      conn.emitRaw('another.unknown', {});
      const packet = await conn.waitFor<ProtocolErrorEvent>('protocol.error', () => true, from);
      expect(packet.payload.error?.code === 'UNKNOWN_EVENT', 'protocol.error for an unknown event has the wrong code', 'UNKNOWN_EVENT', packet.payload);
      await expectUsable(conn, 'unknown events');
    },
  }),
  verifies('R1.6', {
    id: 'ingress.oversized-payload',
    covers: ['R1.6#oversized'],
    walks: [walk('request:chat.send', 'session:existing', 'conn:plain')],
    title: 'a message larger than hello.limits.maxPayloadBytes is PAYLOAD_TOO_LARGE and changes nothing',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const limit = ctx.hello.limits.maxPayloadBytes;
      if (limit > 16 * 1024 * 1024) ctx.skip(`maxPayloadBytes ${limit} is above the 16 MiB the suite sends`);
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: seeded.sessionId });
      const answer = await conn.requestRaw('chat.send', { sessionId: seeded.sessionId, text: 'x'.repeat(limit + 1024), idempotencyKey: 'oversized-1' });
      const error = expectError(answer.payload, 'PAYLOAD_TOO_LARGE', `chat.send of ${limit + 1024}+ bytes`);
      expect(error.details?.limitBytes === limit, 'PAYLOAD_TOO_LARGE does not state limitBytes', `details.limitBytes = ${limit}`, error);
      await expectUsable(conn, 'an oversized message');
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'an oversized chat.send');
    },
  }),
];
