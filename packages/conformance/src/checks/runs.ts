import { isTerminalSessionStatus, type SessionsChanged } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';
import { joinOk } from '../harness/session.js';
import { followSessionList, scriptRun, seededSession, waitRunEnd, watchedSession } from './helpers.js';
import { changesOf, expectCoherentRow, listRow } from './rows.js';

const SCRIPT: Check['requires'] = ['control:session.append', 'control:run.script'];

/** Send a chat message as a user would (the gateway's own agent answers it) and wait for its end. */
async function chat(ctx: CheckContext, conn: Connection, sessionId: string, key: string) {
  const data = expectOk(await conn.request('chat.send', { sessionId, text: 'conformance says hello', idempotencyKey: key }), 'chat.send');
  return data;
}

export const runChecks: Check[] = [
  verifies('R4.1', {
    id: 'sessions.list-rows',
    walks: [walk('request:sessions.list', 'session:existing', 'conn:plain')],
    title: 'sessions.list rows carry status and an explicit boolean hasActiveRun',
    prefers: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client();
      const row = await listRow(conn, seeded.sessionId);
      expect(row, 'a session with events is missing from sessions.list', `a row for ${seeded.sessionId}`, null);
      expect(
        typeof row.status === 'string' && typeof row.hasActiveRun === 'boolean' && row.hasActiveRun === false,
        'the row of an idle session is wrong',
        'status + hasActiveRun false',
        row,
      );
      const limited = expectOk(await conn.request('sessions.list', { limit: 1 }), 'sessions.list limit 1');
      expect(limited.sessions.length <= 1, 'sessions.list ignores limit', 'at most 1 row', limited.sessions.length);
    },
  }),
  verifies('R4.1', {
    id: 'sessions.changed-broadcast',
    walks: [walk('event:sessions.changed', 'session:existing', 'run:queued', 'run:running', 'run:finished', 'conn:plain')],
    title: 'sessions.changed is broadcast for the start and the end of a run, with the new row',
    requires: SCRIPT,
    run: async (ctx) => {
      const { listener, seeded } = await watchedSession(ctx);
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 3, text: 'x' }]);
      await listener.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end');
      const reasons = changesOf(listener, seeded.sessionId).map((c) => c.payload.reason);
      expect(
        reasons.includes('run.start') || reasons.includes('run.queued'),
        'no sessions.changed announced the run starting',
        'run.queued or run.start before run.end',
        reasons,
      );
      const end = changesOf(listener, seeded.sessionId).find((c) => c.payload.reason === 'run.end')!;
      expect(
        end.payload.row.lastRunId === runId && isTerminalSessionStatus(end.payload.row.status),
        'the run.end broadcast does not carry the finished row',
        `terminal row with lastRunId ${runId}`,
        end.payload.row,
      );
      const revisions = changesOf(listener, seeded.sessionId).map((c) => c.payload.row.revision);
      expect(
        revisions.every((r, i) => i === 0 || r > revisions[i - 1]!),
        'row revisions do not increase',
        'strictly increasing revision',
        revisions,
      );
    },
  }),
  verifies('R4.2', {
    id: 'sessions.terminal-list-not-active',
    walks: [
      walk('request:sessions.list', 'run:finished', 'conn:plain'),
      walk('event:sessions.changed', 'run:finished', 'conn:plain'),
      walk('control:cleanup.delay', 'run:finished'),
    ],
    title: 'a sessions.list issued right after the terminal sessions.changed never shows the run active, even with cleanup delayed',
    requires: [...SCRIPT, 'control:cleanup.delay'],
    run: async (ctx) => {
      ctx.onCleanup({ type: 'cleanup.delay', ms: 0 });
      await ctx.control({ type: 'cleanup.delay', ms: 1_500 });
      const { listener, seeded } = await watchedSession(ctx);
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 3, text: 'y' }]);
      const end = await listener.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end');
      expectCoherentRow(end.payload.row, 'the terminal sessions.changed row');
      expect(end.payload.row.hasActiveRun === false, 'the terminal broadcast shows the run active', 'hasActiveRun false', end.payload.row);
      const row = await listRow(listener, seeded.sessionId);
      expect(row, 'the session vanished from sessions.list', 'a row', null);
      expect(
        row.hasActiveRun === false && row.activeRunId === null && isTerminalSessionStatus(row.status),
        `sessions.list after the terminal broadcast shows run ${runId} active`,
        'terminal status, hasActiveRun false, activeRunId null',
        row,
      );
      const later = changesOf(listener, seeded.sessionId).filter((c) => c.index > end.index);
      for (const c of later) expectCoherentRow(c.payload.row, `sessions.changed (${c.payload.reason}) after the terminal one`);
      expect(
        !later.some((c) => c.payload.row.hasActiveRun),
        'the finished run was revived as active after the terminal broadcast',
        'no later row with hasActiveRun true',
        later.map((c) => c.payload),
      );
    },
  }),
  verifies('R4.2', {
    id: 'sessions.run-end-before-terminal-broadcast',
    walks: [walk('event:session.event', 'run:finished', 'conn:plain'), walk('event:sessions.changed', 'run:finished', 'conn:plain', 'conn:run-scoped')],
    title: 'the run.end event is in the log before the terminal sessions.changed is broadcast',
    requires: SCRIPT,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await ctx.client('watcher');
      await followSessionList(watcher);
      await joinOk(watcher, { sessionId: seeded.sessionId });
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 2, text: 'z' }]);
      const end = await watcher.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end');
      const frame = await waitRunEnd(watcher, seeded.sessionId, runId);
      expect(frame.packetIndex < end.index, 'the terminal sessions.changed arrived before the run.end frame', 'run.end frame, then sessions.changed run.end', {
        runEndPacket: frame.packetIndex,
        changedPacket: end.index,
      });
    },
  }),
  verifies('R4.3', {
    id: 'runs.idempotent-chat-send',
    walks: [walk('request:chat.send', 'session:existing', 'log:empty', 'run:running', 'run:finished', 'conn:run-scoped')],
    title: 'a repeated chat.send with the same idempotency key returns the original run and starts nothing',
    run: async (ctx) => {
      const sessionId = ctx.sessionId('idem');
      const conn = await ctx.client();
      const join = await joinOk(conn, { sessionId });
      const first = await chat(ctx, conn, sessionId, 'idem-key-1');
      expect(first.duplicate === false, 'the first chat.send is marked duplicate', 'duplicate false', first);
      const second = await chat(ctx, conn, sessionId, 'idem-key-1');
      expect(
        second.runId === first.runId && second.duplicate === true,
        'a retry with the same key did not return the original run',
        `runId ${first.runId}, duplicate true`,
        second,
      );
      await waitRunEnd(conn, sessionId, first.runId);
      const third = await chat(ctx, conn, sessionId, 'idem-key-1');
      expect(
        third.runId === first.runId && third.duplicate === true,
        'a retry after the run ended started something new',
        `runId ${first.runId}, duplicate true`,
        third,
      );
      const frames = conn.frames(sessionId).filter((f) => f.packetIndex > join.ack.index);
      const userMessages = frames.filter((f) => f.frame.event?.type === 'message' && (f.frame.event as { role?: string }).role === 'user');
      const starts = frames.filter((f) => f.frame.event?.type === 'run.start');
      expect(userMessages.length === 1 && starts.length === 1, 'the retries appended messages or started runs', 'one user message, one run.start', {
        userMessages: userMessages.length,
        runStarts: starts.length,
      });
    },
  }),
  verifies('R4.3', {
    id: 'runs.abort-finished-noop',
    walks: [walk('request:chat.abort', 'session:existing', 'run:finished', 'conn:run-scoped')],
    title: 'aborting a finished run answers aborted:false with its final status and changes nothing',
    run: async (ctx) => {
      const sessionId = ctx.sessionId('abort');
      const conn = await ctx.client();
      await joinOk(conn, { sessionId });
      const sent = await chat(ctx, conn, sessionId, 'abort-key-1');
      const end = await waitRunEnd(conn, sessionId, sent.runId);
      const before = await ctx.headOf(sessionId);
      const answer = expectOk(await conn.request('chat.abort', { sessionId, runId: sent.runId }), 'chat.abort of a finished run');
      const finalStatus = (end.frame.event as { status: string }).status;
      expect(
        answer.aborted === false && answer.status === finalStatus,
        'aborting a finished run did not answer a clean no-op',
        `aborted false, status ${finalStatus}`,
        answer,
      );
      const after = await ctx.headOf(sessionId);
      expect(after.cursor === before.cursor, 'aborting a finished run appended events', `cursor ${before.cursor}`, after.cursor);
    },
  }),
  verifies('R4.3', {
    id: 'runs.abort-unknown-run',
    walks: [walk('request:chat.abort', 'session:existing', 'run:unknown', 'conn:plain')],
    title: 'aborting an unknown run is RUN_NOT_FOUND',
    run: async (ctx) => {
      const sessionId = ctx.sessionId('unknown-run');
      const conn = await ctx.client();
      await joinOk(conn, { sessionId });
      expectError(await conn.request('chat.abort', { sessionId, runId: 'no-such-run-1' }), 'RUN_NOT_FOUND', 'chat.abort of an unknown run');
    },
  }),
  verifies('R4.4', {
    id: 'sessions.active-row-while-running',
    walks: [
      walk('request:sessions.list', 'run:running', 'run:finished', 'conn:plain'),
      walk('event:sessions.changed', 'run:finished', 'conn:plain'),
      walk('control:run.release', 'run:running'),
    ],
    title: 'while a run is held the row is non-terminal with hasActiveRun true; afterwards terminal and inactive',
    requires: [...SCRIPT, 'control:run.release'],
    run: async (ctx) => {
      const { listener, seeded, ctl } = await watchedSession(ctx);
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'hold', gate: 'active' }]);
      await ctl.waitForFrame(seeded.sessionId, 'run.start', (f) => f.frame.event?.type === 'run.start');
      const during = await listRow(listener, seeded.sessionId);
      expect(
        during && !isTerminalSessionStatus(during.status) && during.hasActiveRun === true && during.activeRunId === runId,
        'a running session is not listed as active',
        `non-terminal status, hasActiveRun true, activeRunId ${runId}`,
        during,
      );
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'active' });
      await waitRunEnd(ctl, seeded.sessionId, runId);
      await listener.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end');
      const after = await listRow(listener, seeded.sessionId);
      expect(after, 'the session vanished', 'a row', null);
      expectCoherentRow(after, 'sessions.list after the run');
      for (const c of changesOf(listener, seeded.sessionId)) expectCoherentRow(c.payload.row, `sessions.changed (${c.payload.reason})`);
    },
  }),
];
