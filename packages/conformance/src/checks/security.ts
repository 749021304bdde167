import { ControlCommandNames } from '@agent-gateway/schema';
import { verifies, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import { CheckFailure } from '../harness/errors.js';
import { joinOk } from '../harness/session.js';
import { expectLogUnchanged, expectUsable, seededSession } from './helpers.js';

async function expectRefusedHandshake(ctx: CheckContext, name: string, token: string | null): Promise<void> {
  const conn = ctx.connection(name, { token });
  const outcome = await conn.openExpectingRefusal();
  if (!outcome.refused)
    throw new CheckFailure(
      `a handshake with ${token === null ? 'no token' : 'a wrong token'} was accepted`,
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

export const securityChecks: Check[] = [
  verifies('R6.1', {
    id: 'auth.wrong-token-refused',
    title: 'a handshake with a wrong token is refused with UNAUTHORIZED and receives nothing',
    requires: ['feature:token'],
    run: (ctx) => expectRefusedHandshake(ctx, 'wrong-token', `${ctx.config.token}-wrong`),
  }),
  verifies('R6.1', {
    id: 'auth.missing-token-refused',
    title: 'a handshake without a token is refused with UNAUTHORIZED',
    requires: ['feature:token'],
    run: (ctx) => expectRefusedHandshake(ctx, 'no-token', null),
  }),
  verifies('R6.1', {
    id: 'auth.refusal-leaks-nothing',
    title: 'a refused handshake says nothing about existing sessions',
    requires: ['feature:token', 'control:session.append'],
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
    run: async (ctx) => {
      const prefix = ctx.config.forbiddenPrefix!;
      const rand = () => Math.random().toString(36).slice(2, 10);
      const existing = `${prefix}${rand()}`;
      const absent = `${prefix}${rand()}`;
      const seeded = await ctx.append(existing, [messageEvent('secret 1'), messageEvent('secret 2')]);
      const conn = await ctx.client('outsider');
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
  verifies('R6.2', {
    id: 'control.disabled-without-token',
    title: 'without the control token every control command answers CONTROL_DISABLED and changes nothing',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client('plain');
      expect(
        conn.hello?.control.enabled === false,
        'hello offers the control surface to a connection without its token',
        'hello.control.enabled false',
        conn.hello?.control,
      );
      const answer = await conn.requestRaw('control', { type: 'session.append', sessionId: seeded.sessionId, events: [messageEvent('intrusion')] });
      expectError(answer.payload, 'CONTROL_DISABLED', 'control without the control token');
      for (const type of ['session.trim', 'pressure.set'] as const) {
        const cmd = type === 'session.trim' ? { type, sessionId: seeded.sessionId, oldestCursor: 2 } : { type, simulated: true };
        expectError((await conn.requestRaw('control', cmd)).payload, 'CONTROL_DISABLED', `control ${type} without the control token`);
      }
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'refused control commands');
      const head = await ctx.headOf(seeded.sessionId);
      expect(head.oldestCursor === 1, 'a refused session.trim trimmed the log', 'oldestCursor 1', head);
    },
  }),
  verifies('R6.2', {
    id: 'control.disabled-with-wrong-token',
    title: 'a wrong control token does not enable the control surface',
    run: async (ctx) => {
      const conn = ctx.connection('wrong-control', { controlToken: `${ctx.config.controlToken ?? 'x'}-wrong` });
      const outcome = await conn.openExpectingRefusal();
      if (outcome.refused) return; // refusing the whole connection is also acceptable
      expect(
        conn.hello?.control.enabled === false,
        'a wrong control token enabled the control surface',
        'hello.control.enabled false (or a refused handshake)',
        conn.hello?.control,
      );
      expectError((await conn.requestRaw('control', { type: 'capabilities' })).payload, 'CONTROL_DISABLED', 'control with a wrong control token');
    },
  }),
  verifies('R6.3', {
    id: 'robustness.malformed-flood',
    title: 'a flood of malformed and oversized messages crashes nothing and corrupts no log',
    requires: ['control:session.append'],
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
      const events = [
        'join',
        'chat.send',
        'chat.abort',
        'leave',
        'sessions.list',
        'run.subscribe',
        'control',
        'diagnostics.get',
        'bogus',
        '__proto__',
        'constructor',
      ];
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
    title: 'after rejected input a replay of the whole log is identical to before',
    requires: ['control:session.append'],
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
  verifies('R7.1', {
    id: 'scale.single-process-log',
    title: 'one gateway keeps one log per session shared by all its connections',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 3);
      const a = await ctx.client('a');
      const b = await ctx.client('b');
      const ja = await joinOk(a, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      const jb = await joinOk(b, { sessionId: seeded.sessionId, since: 0, epoch: seeded.epoch });
      expect(
        ja.joined.epoch === jb.joined.epoch && ja.joined.cursor === 3 && jb.joined.cursor === 3,
        'two connections see different logs',
        'same epoch and cursor 3 for both',
        [ja.joined, jb.joined],
      );
      const appended = await ctx.append(seeded.sessionId, [messageEvent('shared')]);
      await a.waitForFrame(seeded.sessionId, 'the shared live event', (f) => f.frame.seq === appended.lastSeq);
      await b.waitForFrame(seeded.sessionId, 'the shared live event', (f) => f.frame.seq === appended.lastSeq);
    },
  }),
  verifies('R7.2', {
    id: 'scale.peer-resume',
    title: 'a client resumes on another node with the same epoch, cursor and replay',
    requires: ['feature:peer', 'control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 5);
      const peer = ctx.connection('peer', { url: ctx.config.peerUrl });
      await peer.open();
      const outcome = await joinOk(peer, { sessionId: seeded.sessionId, since: 2, epoch: seeded.epoch });
      expect(
        outcome.joined.resyncRequired === false && outcome.joined.epoch === seeded.epoch && outcome.joined.cursor === seeded.cursor,
        'the peer node does not share the log',
        `same epoch, cursor ${seeded.cursor}, replay`,
        outcome.joined,
      );
      expect(
        JSON.stringify(outcome.replayed.map((f) => f.frame.seq)) === JSON.stringify([3, 4, 5]),
        'the peer replay is incomplete',
        'seqs 3, 4, 5',
        outcome.replayed.map((f) => f.frame.seq),
      );
    },
  }),
  verifies('R7.2', {
    id: 'scale.peer-live-fanout',
    title: 'events appended through one node reach clients of the other node, in order',
    requires: ['feature:peer', 'control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const peer = ctx.connection('peer', { url: ctx.config.peerUrl });
      await peer.open();
      await joinOk(peer, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      const appended = await ctx.append(seeded.sessionId, [messageEvent('one'), messageEvent('two')]);
      await peer.waitForFrame(seeded.sessionId, 'the fanned-out events', (f) => f.frame.seq === appended.lastSeq);
    },
  }),
  verifies('R8.1', {
    id: 'control.advertises-commands',
    title: 'with the control token, hello and the capabilities command list the supported commands',
    requires: ['control:capabilities'],
    run: async (ctx) => {
      const ctl = await ctx.controller();
      expect(ctl.hello?.control.enabled === true, 'hello does not enable control for the control token', 'hello.control.enabled true', ctl.hello?.control);
      const listed = ctl.hello!.control.commands;
      const data = await ctx.control({ type: 'capabilities' });
      expect(
        JSON.stringify([...(data.commands ?? [])].sort()) === JSON.stringify([...listed].sort()),
        'capabilities and hello disagree',
        `commands ${JSON.stringify(listed)}`,
        data.commands,
      );
      const missing = ControlCommandNames.filter((c) => !listed.includes(c));
      if (missing.length > 0) ctx.note(`commands not implemented: ${missing.join(', ')}`);
    },
  }),
  verifies('R8.2', {
    id: 'control.unadvertised-command-unsupported',
    title: 'a control command the gateway does not advertise answers CONTROL_UNSUPPORTED',
    run: async (ctx) => {
      const ctl = await ctx.controller();
      const listed = ctl.hello?.control.commands ?? [];
      const missing = ControlCommandNames.filter((c) => !listed.includes(c));
      if (missing.length === 0) {
        ctx.note('the gateway implements every control command');
        return;
      }
      const sample: Record<string, unknown> = {
        capabilities: { type: 'capabilities' },
        'session.append': { type: 'session.append', sessionId: ctx.sessionId('unsup'), events: [messageEvent('x')] },
        'session.trim': { type: 'session.trim', sessionId: ctx.sessionId('unsup'), oldestCursor: 1 },
        'session.recreate': { type: 'session.recreate', sessionId: ctx.sessionId('unsup') },
        'run.script': { type: 'run.script', sessionId: ctx.sessionId('unsup'), steps: [] },
        'run.release': { type: 'run.release', sessionId: ctx.sessionId('unsup'), gate: 'g' },
        'pressure.set': { type: 'pressure.set', simulated: false },
        'lane.hold': { type: 'lane.hold', sessionId: ctx.sessionId('unsup') },
        'lane.release': { type: 'lane.release', sessionId: ctx.sessionId('unsup') },
        'system.enqueue': { type: 'system.enqueue', sessionId: ctx.sessionId('unsup'), kind: 'k', text: 't' },
        'heartbeat.trigger': { type: 'heartbeat.trigger', sessionId: ctx.sessionId('unsup') },
        'cleanup.delay': { type: 'cleanup.delay', ms: 0 },
      };
      const answer = await ctl.requestRaw('control', sample[missing[0]!]);
      expectError(answer.payload, 'CONTROL_UNSUPPORTED', `unadvertised control command ${missing[0]}`);
    },
  }),
  verifies('R8.1', {
    id: 'control.over-the-wire',
    title: 'control commands take effect on the wire: an appended event reaches a joined client',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      const appended = await ctx.append(seeded.sessionId, [messageEvent('via control')]);
      const frame = await conn.waitForFrame(seeded.sessionId, 'the appended event', (f) => f.frame.seq === appended.lastSeq);
      expect((frame.frame.event as { text?: string }).text === 'via control', 'the appended event differs', 'text "via control"', frame.frame.event);
      expectOk(await conn.request('sessions.list', {}), 'sessions.list');
    },
  }),
];
