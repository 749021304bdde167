import { PROTOCOL_MAJOR, type ProtocolErrorEvent } from '@agent-gateway/schema';
import { verifies, type Check } from '../check.js';
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
    title: 'hello and every frame of a join validate against the schema',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client();
      expect(conn.packets[0]?.event === 'hello', 'the first event after connecting is not hello', 'hello first', conn.packets[0]?.event);
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      expect(outcome.replayed.length === 2, 'a join with since 0 did not replay both events', '2 replayed frames', outcome.replayed.length);
      // Every inbound payload was validated on arrival; the runner fails the check on any violation.
    },
  }),
  verifies('R1.2', {
    id: 'ingress.unknown-field',
    title: 'join with an unknown property is INVALID_MESSAGE at that path and changes nothing',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, (s) => ({ sessionId: s.sessionId, bogus: true }), '/bogus', 'join with an unknown property'),
  }),
  verifies('R1.2', {
    id: 'ingress.missing-field',
    title: 'chat.send without idempotencyKey is INVALID_MESSAGE at /idempotencyKey and starts nothing',
    requires: ['control:session.append'],
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
    title: 'since "5" (a string) is INVALID_MESSAGE at /since, never coerced',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since('5'), '/since', 'join with since "5"'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-float',
    title: 'since 1.5 is INVALID_MESSAGE at /since',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(1.5), '/since', 'join with since 1.5'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-negative',
    title: 'since -1 is INVALID_MESSAGE at /since',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(-1), '/since', 'join with since -1'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-huge',
    title: 'since 2^64 is INVALID_MESSAGE at /since',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(2 ** 64), '/since', 'join with since 2^64'),
  }),
  verifies('R1.3', {
    id: 'cursor.since-above-safe-integer',
    title: 'since 2^53 (above the largest exact integer) is INVALID_MESSAGE at /since',
    requires: ['control:session.append'],
    run: (ctx) => rejectsBadJoin(ctx, since(2 ** 53), '/since', 'join with since 2^53'),
  }),
  verifies('R1.3', {
    id: 'limit.sessions-list-limit',
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
    title: 'a join repeating another major is refused through the ack naming the range',
    requires: ['control:session.append'],
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
  verifies('R1.5', {
    id: 'ack.result-shape',
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
    title: 'a message larger than hello.limits.maxPayloadBytes is PAYLOAD_TOO_LARGE and changes nothing',
    requires: ['control:session.append'],
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
