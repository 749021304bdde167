import { isTerminalSessionStatus, type SessionsChanged } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import { expect, expectOk } from '../harness/assert.js';
import { joinOk } from '../harness/session.js';
import { framesOfRun, joinedClient, randomTail, watchedSession, runEndIn, scriptRun, seededSession, toolStep, waitRunEnd } from './helpers.js';
import { changesOf, expectActiveRow, expectCoherentRow, listRow } from './rows.js';

const HELD: Check['requires'] = ['control:session.append', 'control:run.script', 'control:run.release'];

export const abortChecks: Check[] = [
  verifies(['R4.3', 'R4.2'], {
    id: 'runs.abort-running',
    title:
      'aborting a running run answers aborted, ends it with run.end aborted and nothing after, and the row and list show it terminal; the lane is free again',
    requires: HELD,
    walks: [
      walk('request:chat.abort', 'session:existing', 'run:running', 'conn:mirror'),
      walk('event:session.event', 'run:running', 'run:finished', 'conn:mirror', 'conn:run-scoped'),
      walk('event:sessions.changed', 'run:finished', 'conn:plain'),
      walk('request:sessions.list', 'run:finished', 'conn:plain'),
      walk('control:run.release', 'run:finished'),
      walk('control:run.script', 'session:existing', 'run:finished', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const { listener, seeded, ctl } = await watchedSession(ctx);
      const observer = await joinedClient(ctx, 'observer', seeded.sessionId);
      const runId = await scriptRun(ctx, seeded.sessionId, [
        { type: 'chunks', count: 3, text: 'before ' },
        toolStep('ab', 'start'),
        { type: 'hold', gate: 'abort' },
        { type: 'chunks', count: 3, text: 'after abort ' },
        toolStep('ab', 'end'),
      ]);
      // The run-scoped connection sees the start for sure; a back-off window may withhold the mirror.
      await ctl.waitForFrame(seeded.sessionId, 'the tool start', (f) => f.frame.event?.type === 'tool');
      const answer = expectOk(await observer.conn.request('chat.abort', { sessionId: seeded.sessionId, runId }), 'chat.abort of a running run');
      expect(
        answer.aborted === true && answer.status === 'aborted' && answer.runId === runId,
        'aborting a running run did not answer aborted',
        `{ runId: ${runId}, aborted: true, status: aborted }`,
        answer,
        ['R4.3'],
      );
      const end = await waitRunEnd(observer.conn, seeded.sessionId, runId);
      expect(
        (end.frame.event as { status?: string }).status === 'aborted',
        'the aborted run did not end with status aborted',
        'run.end status aborted',
        end.frame.event,
        ['R4.3'],
      );
      const changed = await listener.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end');
      const row = changed.payload.row;
      expect(
        row.status === 'aborted' && row.hasActiveRun === false && row.activeRunId === null && row.lastRunId === runId,
        'the terminal sessions.changed of the aborted run does not show it aborted and inactive',
        `status aborted, hasActiveRun false, activeRunId null, lastRunId ${runId}`,
        row,
        ['R4.2'],
      );
      const listed = await listRow(listener, seeded.sessionId);
      expect(
        listed?.status === 'aborted' && listed.hasActiveRun === false && listed.activeRunId === null,
        'sessions.list after the aborted run still shows it active',
        'status aborted, hasActiveRun false, activeRunId null',
        listed ?? null,
        ['R4.2'],
      );
      // A gateway that ignored the abort would go on once the gate opens: open it and run another turn.
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'abort' });
      const marker = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 1, text: 'marker' }]);
      const markerEnd = await waitRunEnd(ctl, seeded.sessionId, marker);
      expect(
        (markerEnd.frame.event as { status?: string }).status === 'completed',
        'the next run did not complete after the abort (the lane stayed busy)',
        'the next run completes',
        markerEnd.frame.event,
        ['R4.3'],
      );
      await observer.conn.waitForFrame(seeded.sessionId, 'the next run end', (f) => f.frame.seq === markerEnd.frame.seq);
      for (const [who, conn] of [
        ['observer', observer.conn],
        ['run-scoped connection', ctl],
      ] as const) {
        const frames = framesOfRun(conn, seeded.sessionId, runId);
        const endAt = frames.findIndex((f) => f.frame.event?.type === 'run.end');
        const later = endAt < 0 ? [] : frames.slice(endAt + 1);
        expect(
          later.length === 0,
          `the ${who} received ${later.length} events of the aborted run after its run.end`,
          'nothing of the run after its run.end',
          later.map((f) => `${f.frame.seq}:${f.frame.event?.type}`),
          ['R4.3'],
        );
        const resumed = frames.filter((f) => f.frame.event?.type === 'stream.chunk' && (f.frame.event as { text?: string }).text === 'after abort ');
        expect(resumed.length === 0, `the ${who} received chunks scripted after the abort point`, 'the run stopped at the abort', resumed.length, ['R4.3']);
      }
      const again = expectOk(await observer.conn.request('chat.abort', { sessionId: seeded.sessionId, runId }), 'a second chat.abort');
      expect(
        again.aborted === false && again.status === 'aborted',
        'aborting the aborted run again is not a clean no-op',
        'aborted false, status aborted',
        again,
        ['R4.3'],
      );
    },
  }),
  verifies(['R4.3', 'R4.4'], {
    id: 'runs.abort-queued',
    title: 'aborting a queued run answers aborted, it never starts, and the row stays active for the run still running',
    requires: HELD,
    walks: [
      walk('request:chat.abort', 'run:queued', 'conn:run-scoped'),
      walk('control:run.script', 'run:queued', 'run:running'),
      walk('request:sessions.list', 'run:queued', 'run:running'),
      walk('control:run.release', 'run:running'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const running = await scriptRun(ctx, seeded.sessionId, [{ type: 'hold', gate: 'first' }]);
      await ctl.waitForFrame(seeded.sessionId, 'run.start of the first run', (f) => f.frame.event?.type === 'run.start');
      const queued = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 2, text: 'never' }]);
      const answer = expectOk(await ctl.request('chat.abort', { sessionId: seeded.sessionId, runId: queued }), 'chat.abort of a queued run');
      expect(answer.aborted === true && answer.status === 'aborted', 'aborting a queued run did not answer aborted', 'aborted true, status aborted', answer, [
        'R4.3',
      ]);
      expectActiveRow(await listRow(ctl, seeded.sessionId), running, 'sessions.list after aborting the queued run', ['R4.4']);
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'first' });
      await waitRunEnd(ctl, seeded.sessionId, running);
      await ctl.barrier();
      const frames = framesOfRun(ctl, seeded.sessionId, queued);
      expect(
        !frames.some((f) => f.frame.event?.type === 'run.start' || f.frame.event?.type === 'stream.chunk'),
        'the aborted queued run started anyway',
        'no run.start or chunk of the aborted run',
        frames.map((f) => f.frame.event?.type),
        ['R4.3'],
      );
      const end = runEndIn(frames, queued);
      expect(!end || end.status === 'aborted', `the aborted queued run ended ${end?.status}`, 'run.end (if any) with status aborted', end, ['R4.3']);
      const row = await listRow(ctl, seeded.sessionId);
      expect(
        row !== undefined && isTerminalSessionStatus(row.status) && row.hasActiveRun === false,
        'after both runs the row is still active',
        'terminal row, hasActiveRun false',
        row ?? null,
        ['R4.4'],
      );
      for (const c of changesOf(ctl, seeded.sessionId)) expectCoherentRow(c.payload.row, `sessions.changed (${c.payload.reason})`, ['R4.4']);
      const again = expectOk(await ctl.request('chat.abort', { sessionId: seeded.sessionId, runId: queued }), 'a second chat.abort');
      expect(again.aborted === false && again.status === 'aborted', 'aborting it again is not a clean no-op', 'aborted false, status aborted', again, ['R4.3']);
    },
  }),
  verifies(['R4.4', 'R4.2'], {
    id: 'runs.queued-behind-running',
    title: 'a run queued behind another starts only after its run.end, and the row stays active (for the next run) until the last run ends',
    requires: HELD,
    walks: [
      walk('event:sessions.changed', 'run:queued', 'run:running', 'run:finished', 'conn:plain'),
      walk('event:session.event', 'run:queued', 'conn:run-scoped'),
      walk('request:sessions.list', 'run:queued', 'run:running'),
      walk('request:chat.send', 'session:existing', 'run:running', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const { listener, seeded, ctl } = await watchedSession(ctx);
      const first = await scriptRun(ctx, seeded.sessionId, [
        { type: 'hold', gate: 'first' },
        { type: 'chunks', count: 2, text: 'one ' },
      ]);
      await ctl.waitForFrame(seeded.sessionId, 'run.start of the first run', (f) => f.frame.event?.type === 'run.start');
      // The second turn is an ordinary chat.send, answered by the gateway's agent once the lane frees.
      const sent = expectOk(
        await ctl.request('chat.send', { sessionId: seeded.sessionId, text: 'after the first run', idempotencyKey: `behind-${randomTail()}` }),
        'chat.send behind a running run',
      );
      const second = sent.runId;
      expect(sent.status === 'queued', `a chat.send behind a running run answered status ${sent.status}`, 'status queued', sent, ['R4.4']);
      expectActiveRow(await listRow(listener, seeded.sessionId), first, 'sessions.list while the second run waits');
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'first' });
      await waitRunEnd(ctl, seeded.sessionId, second);
      await listener.waitFor<SessionsChanged>(
        'sessions.changed',
        (c) => c.sessionId === seeded.sessionId && c.reason === 'run.end' && c.row.lastRunId === second,
      );
      const order = ctl
        .frames(seeded.sessionId)
        .filter((f) => f.frame.event?.type === 'run.start' || f.frame.event?.type === 'run.end')
        .map((f) => `${f.frame.event?.type}:${f.frame.event && 'runId' in f.frame.event ? f.frame.event.runId : ''}`);
      const wanted = [`run.start:${first}`, `run.end:${first}`, `run.start:${second}`, `run.end:${second}`];
      expect(JSON.stringify(order) === JSON.stringify(wanted), 'the two runs overlapped in the lane', wanted.join(', '), order, ['R4.4']);
      const ends = changesOf(listener, seeded.sessionId).filter((c) => c.payload.reason === 'run.end');
      const firstEnd = ends.find((c) => c.payload.row.lastRunId === first);
      expect(firstEnd, 'no sessions.changed announced the end of the first run', `sessions.changed run.end with lastRunId ${first}`, ends, ['R4.2']);
      expectActiveRow(firstEnd.payload.row, second, 'the sessions.changed for the first run end (the second still pending)', ['R4.2']);
      const last = ends[ends.length - 1]!.payload.row;
      expect(
        isTerminalSessionStatus(last.status) && last.hasActiveRun === false && last.lastRunId === second,
        'the last run end does not leave a terminal, inactive row',
        `terminal row, hasActiveRun false, lastRunId ${second}`,
        last,
        ['R4.2'],
      );
      for (const c of changesOf(listener, seeded.sessionId)) expectCoherentRow(c.payload.row, `sessions.changed (${c.payload.reason})`);
    },
  }),
];
