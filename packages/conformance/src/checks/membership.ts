import type { ToolEvent } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectOk } from '../harness/assert.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { judgeSequence } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { chatSend, joinedClient, scriptRun, seededSession, toolStep, waitRunEnd } from './helpers.js';

/** Leave and demand the acknowledgement `{ sessionId, left }`; returns the ack's packet index. */
async function leave(conn: Connection, sessionId: string, left: boolean): Promise<number> {
  const answer = await conn.requestRaw('leave', { sessionId });
  const data = expectOk(answer.payload as { ok: true; data: { sessionId: string; left: boolean } }, `leave ${sessionId}`);
  expect(
    data.sessionId === sessionId && data.left === left,
    `leave answered left: ${data.left}`,
    `{ sessionId: ${sessionId}, left: ${left} } (${left ? 'it was joined' : 'it was not joined any more'})`,
    data,
  );
  return answer.index;
}

/** After the gateway has sent everything it queued, nothing of the session may have arrived after `index`. */
async function expectNothingAfter(conn: Connection, sessionId: string, index: number, why: string): Promise<void> {
  await conn.barrier();
  const late = conn.frames(sessionId).filter((f) => f.packetIndex > index);
  expect(
    late.length === 0,
    `${late.length} frames of the session arrived after ${why}`,
    `no replay, session.event or session.tool frame of ${sessionId} after ${why}`,
    late.slice(0, 5).map((f) => ({ source: f.source, seq: f.frame.seq, type: f.frame.event?.type })),
  );
}

function highestSeq(frames: readonly ObservedFrame[]): number {
  return frames.reduce((m, f) => (typeof f.frame.seq === 'number' && f.frame.seq > m ? f.frame.seq : m), 0);
}

/** Rejoin with the last seq seen: the replay covers exactly what was missed while away. */
async function expectResumeAfterLeave(ctx: CheckContext, conn: Connection, sessionId: string, epoch: string): Promise<void> {
  const since = highestSeq(conn.frames(sessionId));
  const outcome = await joinOk(conn, { sessionId, since, epoch });
  expect(outcome.joined.resyncRequired === false, 'rejoining after leave with the last seq seen needed a resync', 'resyncRequired false', outcome.joined);
  const verdict = judgeSequence(outcome.replayed, since, { epoch });
  expect(verdict.ok, 'the replay after leaving is not gapless', `every seq of (${since}, ${outcome.joined.cursor}] replayed`, verdict.problems);
  expect(
    verdict.lastSeq === outcome.joined.cursor,
    `the replay after leaving stopped at seq ${verdict.lastSeq}`,
    `replay up to cursor ${outcome.joined.cursor}`,
    verdict.lastSeq,
  );
  if (outcome.joined.cursor === since) ctx.note('nothing happened in the session while it was left');
}

export const membershipChecks: Check[] = [
  verifies('R2.3', {
    id: 'leave.stops-frames',
    title: 'after leave is acknowledged nothing of the session arrives while it keeps producing events; rejoining replays what was missed',
    walks: [
      walk('request:leave', 'session:existing', 'run:running', 'conn:mirror'),
      walk('request:chat.send', 'session:existing', 'run:finished', 'conn:plain'),
      walk('event:replay', 'session:existing', 'run:finished', 'conn:plain'),
    ],
    run: async (ctx) => {
      const sessionId = ctx.sessionId('leave');
      const leaver = await ctx.client('leaver');
      const producer = await ctx.client('producer');
      const joined = await joinOk(leaver, { sessionId });
      await joinOk(producer, { sessionId });
      // Leave in the middle of a reply, while the gateway is still fanning frames out to the leaver.
      const first = await chatSend(producer, sessionId, 'leave-first');
      await leaver.waitForFrame(sessionId, 'the first event of the reply', (f) => f.frame.seq > joined.joined.cursor + 1);
      const ackIndex = await leave(leaver, sessionId, true);
      await waitRunEnd(producer, sessionId, first.runId);
      const second = await chatSend(producer, sessionId, 'leave-second');
      await waitRunEnd(producer, sessionId, second.runId);
      await expectNothingAfter(leaver, sessionId, ackIndex, 'the leave acknowledgement');
      await leave(leaver, sessionId, false);
      await expectResumeAfterLeave(ctx, leaver, sessionId, joined.joined.epoch);
    },
  }),
  verifies('R2.3', {
    id: 'leave.run-scoped-stops-frames',
    title: 'a run-scoped connection that leaves receives nothing more of the run it started',
    requires: ['control:session.append', 'control:run.script', 'control:run.release'],
    walks: [walk('request:leave', 'session:existing', 'run:running', 'conn:run-scoped'), walk('control:run.release', 'run:running', 'conn:run-scoped')],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [
        toolStep('lv', 'start'),
        { type: 'hold', gate: 'leave' },
        { type: 'chunks', count: 20, text: 'after leave ' },
        toolStep('lv', 'update'),
        toolStep('lv', 'end'),
      ]);
      await ctl.waitForFrame(seeded.sessionId, 'the tool start', (f) => f.frame.event?.type === 'tool');
      const ackIndex = await leave(ctl, seeded.sessionId, true);
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'leave' });
      await waitRunEnd(watcher.conn, seeded.sessionId, runId);
      await expectNothingAfter(ctl, seeded.sessionId, ackIndex, 'the leave acknowledgement (the run went on)');
    },
  }),
  verifies('R3.1', {
    id: 'join.rejoin-keeps-run-scope',
    title: 'a run-scoped connection that joins again mid-run (snapshot, then replay) still gets every tool phase as session.event, once',
    requires: ['control:session.append', 'control:run.script', 'control:run.release'],
    walks: [
      walk('request:join', 'session:existing', 'run:running', 'conn:run-scoped'),
      walk('event:joined', 'run:running', 'conn:run-scoped'),
      walk('event:snapshot', 'run:running', 'conn:run-scoped'),
      walk('event:replay', 'run:running', 'conn:run-scoped'),
      walk('event:session.event', 'run:running', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [
        toolStep('rj', 'start'),
        { type: 'hold', gate: 'rejoin' },
        toolStep('rj', 'update'),
        toolStep('rj', 'end'),
      ]);
      const start = await ctl.waitForFrame(seeded.sessionId, 'the tool start', (f) => f.frame.event?.type === 'tool');
      const fresh = await joinOk(ctl, { sessionId: seeded.sessionId });
      const snap = fresh.snapshots[0];
      expect(
        snap?.activeRun?.runId === runId,
        'a fresh rejoin mid-run has no snapshot of the active run',
        `snapshot.activeRun.runId ${runId}`,
        snap?.activeRun ?? null,
      );
      const since = start.frame.seq - 1;
      const again = await joinOk(ctl, { sessionId: seeded.sessionId, since, epoch: seeded.epoch });
      expect(again.joined.resyncRequired === false, 'a rejoin with a recent since needed a resync', 'resyncRequired false', again.joined);
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'rejoin' });
      await waitRunEnd(ctl, seeded.sessionId, runId);
      const afterRejoin = ctl.frames(seeded.sessionId).filter((f) => f.packetIndex > again.ack.index);
      const verdict = judgeSequence([...again.replayed, ...afterRejoin], since, { epoch: seeded.epoch, allowSkips: [] });
      expect(
        verdict.ok,
        'after the rejoin the run-scoped connection did not see every seq exactly once',
        `every seq after ${since}, no skip`,
        verdict.problems,
      );
      const tools = afterRejoin.filter((f) => f.frame.event?.type === 'tool');
      expect(
        tools.length === 2 && tools.every((f) => f.source === 'session.event'),
        'after the rejoin the run-scoped connection received the later tool phases as mirrors (or not at all)',
        'update and end as session.event',
        tools.map((f) => `${f.source}:${(f.frame.event as ToolEvent).phase}`),
      );
    },
  }),
];
