import type { SessionEvent } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import { messageEvent } from '../context.js';
import { expect } from '../harness/assert.js';
import { describeSeqDifference, judgeSequence } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { seededSession } from './helpers.js';

/** Roughly what one appended message costs in the log (JSON of the event), with headroom. */
const MESSAGE_BYTES = 200;

export const replayChecks: Check[] = [
  verifies(['R2.5', 'R2.6', 'R2.4'], {
    id: 'replay.long-complete-no-skip',
    title: 'a replay of hundreds of durable events, over several batches, arrives complete and identical, with no skipped range at all',
    requires: ['control:session.append'],
    walks: [
      walk('request:join', 'session:existing', 'log:empty', 'conn:plain'),
      walk('event:replay', 'session:existing', 'conn:plain'),
      walk('control:session.append', 'session:fresh', 'log:empty'),
    ],
    run: async (ctx) => {
      const { maxEvents, maxBytes, maxFramesPerBatch } = ctx.hello.limits;
      // Several full batches, all of it retained (durable events are never compacted).
      const wanted = Math.max(300, 3 * maxFramesPerBatch + 7);
      const count = Math.min(wanted, maxEvents, Math.floor(maxBytes / MESSAGE_BYTES));
      if (count < wanted) ctx.note(`the log bounds allow ${count} retained messages, fewer than the ${wanted} this check prefers`);
      const sessionId = ctx.sessionId('long');
      const events: SessionEvent[] = Array.from({ length: count }, (_, i) => messageEvent(`long replay ${i + 1}`, i % 2 === 0 ? 'user' : 'assistant'));
      const appended = await ctx.append(sessionId, events);
      const known = new Map<number, SessionEvent>(events.map((e, i) => [appended.firstSeq + i, e]));
      const conn = await ctx.client('replayer');
      const outcome = await joinOk(conn, { sessionId, since: 0, epoch: appended.epoch });
      expect(outcome.joined.resyncRequired === false, 'a replay from 0 of a fully retained log needed a resync', 'resyncRequired false', outcome.joined, [
        'R2.4',
      ]);
      const verdict = judgeSequence(outcome.replayed, 0, { epoch: appended.epoch, allowSkips: [], known });
      expect(verdict.ok, 'the long replay is not complete', `every seq 1..${appended.lastSeq} replayed, no skipped range`, verdict.problems.slice(0, 10), [
        'R2.5',
      ]);
      const seqs = outcome.replayed.map((f) => f.frame.seq);
      const expectedSeqs = Array.from({ length: appended.lastSeq }, (_, i) => i + 1);
      const difference = describeSeqDifference(expectedSeqs, seqs);
      expect(difference.length === 0, 'the long replay differs from the log', `seqs 1..${appended.lastSeq} once each, in order`, difference, ['R2.5']);
      for (const f of outcome.replayed) {
        const sent = known.get(f.frame.seq);
        expect(
          sent !== undefined && JSON.stringify(f.frame.event) === JSON.stringify(sent),
          `replayed seq ${f.frame.seq} is not the event appended there`,
          'every replayed event identical to the appended one',
          { seq: f.frame.seq, appended: sent ?? null, replayed: f.frame.event },
          ['R2.5'],
        );
      }
      const batches = conn.packets.filter((p) => p.event === 'replay' && p.index < outcome.ack.index);
      const tooBig = batches.filter((p) => Array.isArray(p.payload) && p.payload.length > maxFramesPerBatch);
      expect(
        tooBig.length === 0,
        `replay batches exceed hello.limits.maxFramesPerBatch ${maxFramesPerBatch}`,
        `at most ${maxFramesPerBatch} frames per replay emit`,
        tooBig.map((p) => (p.payload as unknown[]).length),
        ['R2.5'],
      );
      if (batches.length < 2) ctx.note(`the replay came in ${batches.length} batch(es)`);
    },
  }),
  verifies('R2.4', {
    id: 'replay.since-zero-without-epoch',
    title: 'since 0 without epoch (nothing seen yet) replays the whole log, and on an empty log answers no resync with nothing to replay',
    prefers: ['control:session.append'],
    walks: [
      walk('request:join', 'session:fresh', 'log:empty', 'conn:plain'),
      walk('event:joined', 'session:fresh', 'log:empty'),
      walk('event:replay', 'session:existing', 'log:empty'),
    ],
    run: async (ctx) => {
      const conn = await ctx.client();
      const fresh = await joinOk(conn, { sessionId: ctx.sessionId('zero-fresh'), since: 0 });
      expect(
        fresh.joined.resyncRequired === false && fresh.joined.cursor === 0 && fresh.replayed.length === 0 && fresh.snapshots.length === 0,
        'since 0 on a never-used session was not an empty replay',
        'resyncRequired false, cursor 0, no replay frames, no snapshot',
        { joined: fresh.joined, replayed: fresh.replayed.length, snapshots: fresh.snapshots.length },
      );
      const seeded = await seededSession(ctx, 4);
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 0 });
      const all = Array.from({ length: seeded.cursor }, (_, i) => i + 1);
      expect(
        outcome.joined.resyncRequired === false,
        'since 0 without epoch was answered with a resync',
        `resyncRequired false, replay of 1..${seeded.cursor}`,
        outcome.joined,
      );
      const difference = describeSeqDifference(
        all,
        outcome.replayed.map((f) => f.frame.seq),
      );
      expect(difference.length === 0, 'since 0 without epoch did not replay the whole log', `seqs 1..${seeded.cursor}`, difference);
    },
  }),
];
