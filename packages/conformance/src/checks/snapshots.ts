import { isDurableEvent, isTerminalToolPhase, type ResponseEvent, type Snapshot, type ToolEvent } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import { messageEvent, type CheckContext } from '../context.js';
import { expect } from '../harness/assert.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { judgeSequence } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { allToolPhases, chatSend, describeTools, joinedClient, runIdOf, scriptRun, seededSession, toolFrames, waitRunEnd } from './helpers.js';
import { expectActiveRow, listRow } from './rows.js';

/** A fresh join on a new connection; returns its one snapshot. */
async function freshSnapshot(ctx: CheckContext, name: string, sessionId: string): Promise<{ conn: Connection; snap: Snapshot; ackIndex: number }> {
  const conn = await ctx.client(name);
  const outcome = await joinOk(conn, { sessionId });
  expect(outcome.snapshots.length === 1, 'a fresh join did not get exactly one snapshot', 'one snapshot', outcome.snapshots.length);
  return { conn, snap: outcome.snapshots[0]!, ackIndex: outcome.ack.index };
}

/**
 * The snapshot after a finished run must hold what a client watching live learnt: the run's
 * messages, every durable event still retained (identical, in seq order), no non-durable event,
 * and no active run.
 */
function expectSnapshotOfFinishedRun(snap: Snapshot, live: readonly ObservedFrame[], runId: string): void {
  expect(
    snap.activeRun === null && snap.state.hasActiveRun === false && snap.state.status === 'completed',
    'the snapshot after a finished run shows it active (or not completed)',
    'activeRun null, state.hasActiveRun false, state.status completed',
    { state: snap.state, activeRun: snap.activeRun },
  );
  const durable = live.filter((f) => f.frame.event && isDurableEvent(f.frame.event) && f.frame.seq >= snap.oldestCursor && f.frame.seq <= snap.eventCursor);
  const bySeq = new Map(snap.events.map((e) => [e.seq, e.event]));
  for (const f of durable) {
    expect(
      JSON.stringify(bySeq.get(f.frame.seq)) === JSON.stringify(f.frame.event),
      `snapshot.events lacks (or changed) durable seq ${f.frame.seq} (${f.frame.event.type})`,
      'every retained durable event as it was sent live',
      { seq: f.frame.seq, live: f.frame.event, snapshot: bySeq.get(f.frame.seq) ?? null },
    );
  }
  const seqs = snap.events.map((e) => e.seq);
  expect(
    seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
    'snapshot.events is not in ascending seq order',
    'ascending seqs',
    seqs,
  );
  const nonDurable = snap.events.filter((e) => !isDurableEvent(e.event));
  expect(
    nonDurable.length === 0,
    'snapshot.events carries non-durable events',
    'durable events only',
    nonDurable.map((e) => `${e.seq}:${e.event.type}`),
  );
  const response = live.find((f) => f.frame.event?.type === 'response' && f.frame.event.runId === runId)?.frame.event as ResponseEvent | undefined;
  expect(response, 'the run produced no response event', 'a response of the run', null);
  const reply = snap.messages.find((m) => m.role === 'assistant' && m.runId === runId);
  expect(
    reply?.text === response.text,
    "snapshot.messages lacks the run's reply (or its text differs from the response)",
    `an assistant message of ${runId} with the response text`,
    reply ?? snap.messages,
  );
}

export const snapshotChecks: Check[] = [
  verifies('R2.7', {
    id: 'snapshot.within-advertised-bound',
    title:
      'a session holding more than hello.limits.maxSnapshotBytes is answered one snapshot within that bound, with the newest message, that counts what it left out (omitted)',
    requires: ['control:session.append'],
    timeoutFactor: 3,
    walks: [walk('event:snapshot', 'session:existing', 'conn:plain'), walk('control:session.append', 'session:existing')],
    run: async (ctx) => {
      const bound = ctx.hello.limits.maxSnapshotBytes;
      if (bound === undefined) return ctx.skip('the gateway does not advertise hello.limits.maxSnapshotBytes');
      if (bound > 16 * 1024 * 1024)
        return ctx.skip(`hello.limits.maxSnapshotBytes is ${bound}; filling a session past it would take more than this check's budget`);
      const sessionId = ctx.sessionId('big');
      const size = Math.max(1_000, Math.min(900_000, ctx.hello.limits.maxPayloadBytes - 16_384));
      const count = Math.ceil((bound * 1.25) / size) + 1;
      for (let i = 0; i < count; i++) await ctx.append(sessionId, [messageEvent(`${i}:${'m'.repeat(size - 16)}`, 'assistant')]);
      const { snap } = await freshSnapshot(ctx, 'reader', sessionId);
      const bytes = Buffer.byteLength(JSON.stringify(snap), 'utf8');
      expect(bytes <= bound, `the snapshot is ${bytes} bytes of JSON, over the advertised bound`, `at most hello.limits.maxSnapshotBytes = ${bound}`, bytes, [
        'R6.4',
      ]);
      const newest = snap.messages.at(-1);
      expect(
        newest?.text.startsWith(`${count - 1}:`) === true,
        'the snapshot does not end with the newest message',
        `the last message is message ${count - 1} of ${count}`,
        newest ? newest.text.slice(0, 16) : null,
      );
      expect(
        snap.omitted !== undefined && snap.omitted.messages + snap.omitted.events > 0,
        'the snapshot left content out without saying so',
        'omitted { messages, events } counting what is not in it',
        { omitted: snap.omitted ?? null, messages: snap.messages.length, events: snap.events.length },
      );
    },
  }),
  verifies('R2.7', {
    id: 'snapshot.after-chat-run',
    title:
      "after a chat.send answered by the gateway's agent, a fresh join's snapshot holds the user message, the reply, the tool results and every durable event",
    walks: [
      walk('request:chat.send', 'session:existing', 'log:empty', 'conn:run-scoped'),
      walk('event:session.event', 'session:existing', 'run:running', 'conn:run-scoped', 'conn:mirror'),
      walk('event:session.tool', 'session:existing', 'run:running', 'conn:mirror'),
      walk('request:join', 'session:existing', 'run:finished', 'conn:plain'),
      walk('event:joined', 'run:finished', 'conn:plain'),
      walk('event:snapshot', 'session:existing', 'run:finished', 'conn:plain'),
    ],
    run: async (ctx) => {
      const sessionId = ctx.sessionId('chat-snap');
      const sender = await ctx.client('sender');
      const joined = await joinOk(sender, { sessionId });
      const observer = await joinedClient(ctx, 'observer', sessionId);
      const text = 'please count these five words';
      const sent = await chatSend(sender, sessionId, 'chat-snapshot-1', text);
      await waitRunEnd(sender, sessionId, sent.runId);
      await waitRunEnd(observer.conn, sessionId, sent.runId);
      const live = sender.frames(sessionId);
      const { snap } = await freshSnapshot(ctx, 'late', sessionId);
      expect(
        snap.messages.some((m) => m.role === 'user' && m.text === text),
        'snapshot.messages lacks the user message',
        `a user message "${text}"`,
        snap.messages,
      );
      expectSnapshotOfFinishedRun(snap, live, sent.runId);
      const verdict = judgeSequence(live, joined.joined.cursor, { epoch: joined.joined.epoch, allowSkips: [] });
      expect(verdict.ok, 'the sender (run-scoped) did not see every seq of its run', 'every seq, no skip', verdict.problems);
      const tools = toolFrames(live, sent.runId);
      if (tools.length === 0) {
        ctx.note("the gateway's agent made no tool call; tool results were not exercised");
        return;
      }
      expect(
        tools.every((f) => f.source === 'session.event'),
        'the sender received tool events of its own run as mirrors',
        'session.event',
        describeTools(tools),
      );
      const mirrored = toolFrames(observer.conn.frames(sessionId), sent.runId);
      expect(
        mirrored.length > 0 && mirrored.every((f) => f.source === 'session.tool'),
        'the observer did not receive the tool events as session.tool mirrors',
        'session.tool',
        describeTools(mirrored),
      );
      const terminal = tools.filter((f) => isTerminalToolPhase((f.frame.event as ToolEvent).phase));
      for (const f of terminal) {
        expect(
          snap.events.some((e) => e.seq === f.frame.seq),
          `snapshot.events lacks the tool result at seq ${f.frame.seq}`,
          'every terminal tool phase retained',
          snap.events.map((e) => e.seq),
        );
      }
    },
  }),
  verifies('R2.7', {
    id: 'snapshot.after-scripted-run',
    title: 'after a scripted run with every tool phase, the snapshot holds the reply and each tool call start and result, never the progress updates',
    requires: ['control:session.append', 'control:run.script'],
    walks: [walk('event:snapshot', 'session:existing', 'run:finished', 'conn:plain'), walk('control:run.script', 'session:existing', 'conn:run-scoped')],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 6, text: 'word ' }, ...allToolPhases('ss')]);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      const { snap } = await freshSnapshot(ctx, 'late', seeded.sessionId);
      expectSnapshotOfFinishedRun(snap, ctl.frames(seeded.sessionId), runId);
      const tools = snap.events.filter((e) => e.event.type === 'tool' && e.event.runId === runId).map((e) => e.event as ToolEvent);
      const got = tools.map((t) => `${t.toolCallId.slice(3)}:${t.phase}`);
      const wanted = ['a:start', 'a:end', 'b:start', 'b:result', 'c:start', 'c:error'];
      expect(JSON.stringify(got) === JSON.stringify(wanted), 'snapshot.events does not hold each tool start and result', wanted.join(', '), got);
      const texts = snap.messages.map((m) => m.text);
      expect(
        texts.includes('seed message 1') && texts.includes('seed message 2'),
        'snapshot.messages lost the earlier conversation',
        'both seed messages',
        texts,
      );
    },
  }),
  verifies(['R2.7', 'R4.4'], {
    id: 'snapshot.queued-run',
    title: 'a run waiting behind a busy lane shows as queued: snapshot state and activeRun, the listed row; then it runs and the joiner sees all of it',
    requires: ['control:session.append', 'control:run.script', 'control:lane.hold', 'control:lane.release'],
    walks: [
      walk('request:join', 'session:existing', 'run:queued', 'conn:plain'),
      walk('event:joined', 'session:existing', 'run:queued'),
      walk('event:snapshot', 'session:existing', 'run:queued', 'conn:plain'),
      walk('control:lane.hold', 'session:existing', 'run:queued'),
      walk('control:lane.release', 'session:existing', 'run:queued'),
      walk('request:sessions.list', 'run:queued'),
      walk('event:session.event', 'run:queued', 'run:running', 'conn:plain'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      ctx.onCleanup({ type: 'lane.release', sessionId: seeded.sessionId });
      await ctx.control({ type: 'lane.hold', sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 2, text: 'queued ' }]);
      const { conn, snap, ackIndex } = await freshSnapshot(ctx, 'joiner', seeded.sessionId);
      expect(
        snap.state.status === 'queued' && snap.state.hasActiveRun === true,
        'the snapshot of a session with a waiting run does not show it queued',
        'state.status queued, hasActiveRun true',
        snap.state,
      );
      expect(
        snap.activeRun?.runId === runId && snap.activeRun.status === 'queued',
        'snapshot.activeRun is not the waiting run',
        `activeRun { runId: ${runId}, status: queued }`,
        snap.activeRun,
      );
      const row = await listRow(conn, seeded.sessionId);
      expectActiveRow(row, runId, 'sessions.list while the run waits', ['R4.4']);
      expect(row.status === 'queued', `the row of a session whose only run waits is ${row.status}`, 'status queued', row, ['R4.4']);
      await ctx.control({ type: 'lane.release', sessionId: seeded.sessionId });
      await waitRunEnd(conn, seeded.sessionId, runId);
      const live = conn.frames(seeded.sessionId).filter((f) => f.packetIndex > ackIndex);
      const verdict = judgeSequence(live, snap.eventCursor, { epoch: seeded.epoch });
      expect(verdict.ok, 'after the snapshot the joiner did not see every seq', `every seq after ${snap.eventCursor}`, verdict.problems);
      expect(
        live.some((f) => f.frame.event?.type === 'run.start' && runIdOf(f.frame.event) === runId),
        'the released run never started',
        'run.start of the run',
        live.map((f) => f.frame.event?.type),
      );
    },
  }),
];
