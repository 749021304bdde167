import type { Joined, Snapshot } from '@agent-gateway/schema';
import { verifies, walk, type Check, type Walk } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect } from '../harness/assert.js';
import { describeSeqDifference } from '../harness/sequence.js';
import { framesAfter, joinOk, type JoinOutcome } from '../harness/session.js';
import { seededSession } from './helpers.js';

/** The shared fixture of the boundary checks: seqs 1..10 appended, everything below 5 trimmed. */
const APPENDED = 10;
const TRIMMED_TO = 5;

async function trimmedSession(ctx: CheckContext): Promise<{ sessionId: string; epoch: string; cursor: number; oldestCursor: number }> {
  const seeded = await seededSession(ctx, APPENDED);
  await ctx.control({ type: 'session.trim', sessionId: seeded.sessionId, oldestCursor: TRIMMED_TO });
  return { ...seeded, oldestCursor: TRIMMED_TO };
}

type Since = (s: { cursor: number; oldestCursor: number }) => number;

/** Join with `since` and expect a complete replay of (since, cursor] and nothing else, then live frames. */
async function expectReplay(ctx: CheckContext, since: Since, label: string): Promise<void> {
  const s = await trimmedSession(ctx);
  const from = since(s);
  const conn = await ctx.client();
  const outcome = await joinOk(conn, { sessionId: s.sessionId, since: from, epoch: s.epoch });
  const wanted = `resyncRequired false, replay of seqs ${from + 1}..${s.cursor}, no snapshot`;
  const j = outcome.joined;
  expect(
    j.cursor === s.cursor && j.oldestCursor === s.oldestCursor,
    `joined reports cursor ${j.cursor} / oldestCursor ${j.oldestCursor}`,
    `cursor ${s.cursor}, oldestCursor ${s.oldestCursor}`,
    j,
  );
  expect(j.resyncRequired === false, `join with ${label} was answered resyncRequired: true (${j.reason ?? 'no reason'})`, wanted, j);
  expect(outcome.snapshots.length === 0, `join with ${label} got a snapshot`, wanted, outcome.snapshots.length);
  const seqs = outcome.replayed.map((f) => f.frame.seq);
  const expectedSeqs = Array.from({ length: s.cursor - from }, (_, i) => from + 1 + i);
  const difference = describeSeqDifference(expectedSeqs, seqs);
  expect(difference.length === 0, `join with ${label} did not replay ${from + 1}..${s.cursor} once each in order: ${difference.join('; ')}`, wanted, seqs);
  expect(
    outcome.replayed.every((f) => f.source === 'replay'),
    'replayed frames did not arrive as replay',
    'replay events',
    outcome.replayed.map((f) => f.source),
  );
  await expectLiveContinues(ctx, conn, s.sessionId, s.cursor, s.epoch, outcome);
}

/** Append one event and require it to be the next frame (seq cursor + 1), with nothing spurious before it. */
async function expectLiveContinues(
  ctx: CheckContext,
  conn: Awaited<ReturnType<CheckContext['client']>>,
  sessionId: string,
  cursor: number,
  epoch: string,
  outcome: JoinOutcome,
): Promise<void> {
  const appended = await ctx.append(sessionId, [messageEvent('live after join')]);
  const live = await conn.waitForFrame(sessionId, `live frame seq ${appended.lastSeq}`, (f) => f.frame.seq === appended.lastSeq);
  const after = framesAfter(conn, sessionId, outcome.afterAck);
  expect(
    after[0] === live,
    `the first live frame after the join was seq ${after[0]?.frame.seq}`,
    `seq ${cursor + 1} first`,
    after.map((f) => f.frame.seq),
  );
  expect(
    live.source === 'session.event' && live.frame.epoch === epoch,
    'the live frame is not a session.event of the same epoch',
    'session.event with the joined epoch',
    live,
  );
  const spurious = conn.packets.slice(outcome.afterAck, live.packetIndex).filter((p) => p.event === 'snapshot' || p.event === 'replay');
  expect(
    spurious.length === 0,
    'replay or snapshot arrived after the join was acknowledged',
    'nothing but live frames after the ack',
    spurious.map((p) => p.event),
  );
}

/** Join with `since` and expect a resync: one snapshot at the head, no replayed frame, the right reason. */
async function expectResync(
  ctx: CheckContext,
  params: (s: { sessionId: string; epoch: string; cursor: number; oldestCursor: number }) => { since?: number; epoch?: string },
  reason: Joined['reason'],
  label: string,
): Promise<void> {
  const s = await trimmedSession(ctx);
  const conn = await ctx.client();
  const outcome = await joinOk(conn, { sessionId: s.sessionId, ...params(s) });
  const j = outcome.joined;
  const wanted = `resyncRequired true, reason ${reason}, exactly one snapshot with eventCursor ${s.cursor}, no replayed frames`;
  expect(j.resyncRequired === true, `join with ${label} was answered resyncRequired: false`, wanted, {
    joined: j,
    replayedSeqs: outcome.replayed.map((f) => f.frame.seq),
  });
  expect(j.reason === reason, `join with ${label} gave reason ${j.reason}`, wanted, j);
  expect(
    outcome.replayed.length === 0,
    `join with ${label} replayed ${outcome.replayed.length} frames (a partial replay)`,
    wanted,
    outcome.replayed.map((f) => f.frame.seq),
  );
  expect(outcome.snapshots.length === 1, `join with ${label} produced ${outcome.snapshots.length} snapshots`, wanted, outcome.snapshots.length);
  const snap = outcome.snapshots[0]!;
  expect(
    snap.eventCursor === s.cursor && snap.epoch === j.epoch,
    'the snapshot is not at the head of the joined epoch',
    `eventCursor ${s.cursor}, epoch ${j.epoch}`,
    { eventCursor: snap.eventCursor, epoch: snap.epoch },
  );
  await expectLiveContinues(ctx, conn, s.sessionId, s.cursor, j.epoch, outcome);
}

const TRIM: Check['requires'] = ['control:session.append', 'control:session.trim'];

/** The boundary checks join a trimmed log, then see one live event appended after the trim. */
const TRIM_WALKS: Walk[] = [
  walk('control:session.trim', 'session:existing'),
  walk('request:join', 'session:existing', 'log:trimmed', 'conn:plain'),
  walk('event:joined', 'session:existing', 'log:trimmed', 'conn:plain'),
  walk('control:session.append', 'session:existing', 'log:trimmed'),
  walk('event:session.event', 'session:existing', 'log:trimmed', 'conn:plain'),
];
const TRIM_WALKS_REPLAY: Walk[] = [...TRIM_WALKS, walk('event:replay', 'session:existing', 'log:trimmed', 'conn:plain')];
const TRIM_WALKS_RESYNC: Walk[] = [...TRIM_WALKS, walk('event:snapshot', 'session:existing', 'log:trimmed', 'conn:plain')];

export const resumeChecks: Check[] = [
  verifies('R2.4', {
    id: 'resume.since-oldest-minus-two',
    walks: TRIM_WALKS_RESYNC,
    title: 'since = oldestCursor - 2 is too old: resync with one snapshot, never a partial replay',
    requires: TRIM,
    run: (ctx) => expectResync(ctx, (s) => ({ since: s.oldestCursor - 2, epoch: s.epoch }), 'since-too-old', 'since = oldestCursor - 2'),
  }),
  verifies('R2.4', {
    id: 'resume.since-oldest-minus-one',
    walks: TRIM_WALKS_REPLAY,
    title: 'since = oldestCursor - 1 is replayable: complete replay from oldestCursor, no resync',
    requires: TRIM,
    run: (ctx) => expectReplay(ctx, (s) => s.oldestCursor - 1, 'since = oldestCursor - 1'),
  }),
  verifies('R2.4', {
    id: 'resume.since-oldest',
    walks: TRIM_WALKS_REPLAY,
    title: 'since = oldestCursor replays the rest',
    requires: TRIM,
    run: (ctx) => expectReplay(ctx, (s) => s.oldestCursor, 'since = oldestCursor'),
  }),
  verifies('R2.4', {
    id: 'resume.since-cursor',
    walks: TRIM_WALKS,
    title: 'since = cursor replays nothing, no resync, and live frames follow from cursor + 1',
    requires: TRIM,
    run: (ctx) => expectReplay(ctx, (s) => s.cursor, 'since = cursor'),
  }),
  verifies('R2.4', {
    id: 'resume.since-ahead',
    walks: TRIM_WALKS_RESYNC,
    title: 'since = cursor + 1 (from the future) is a resync with a snapshot',
    requires: TRIM,
    run: (ctx) => expectResync(ctx, (s) => ({ since: s.cursor + 1, epoch: s.epoch }), 'since-ahead', 'since = cursor + 1'),
  }),
  verifies('R2.4', {
    id: 'resume.epoch-mismatch',
    walks: TRIM_WALKS_RESYNC,
    title: 'a since of another epoch is a resync with a snapshot',
    requires: TRIM,
    run: (ctx) => expectResync(ctx, (s) => ({ since: s.oldestCursor + 1, epoch: 'someOtherEpoch0' }), 'epoch-mismatch', 'a foreign epoch'),
  }),
  verifies('R2.4', {
    id: 'resume.since-without-epoch',
    walks: TRIM_WALKS_RESYNC,
    title: 'since > 0 without epoch is treated as an epoch mismatch',
    requires: TRIM,
    run: (ctx) => expectResync(ctx, (s) => ({ since: s.oldestCursor + 1 }), 'epoch-mismatch', 'since without epoch'),
  }),
  verifies('R2.4', {
    id: 'resume.fresh-join-snapshot',
    walks: TRIM_WALKS_RESYNC,
    title: 'a join without since gets a snapshot (fresh-join), not a replay from 0',
    requires: TRIM,
    run: (ctx) => expectResync(ctx, () => ({}), 'fresh-join', 'no since'),
  }),
  verifies('R2.4', {
    id: 'resume.recreated-epoch',
    walks: [
      walk('control:session.recreate', 'session:existing'),
      walk('request:join', 'session:recreated', 'conn:plain'),
      walk('event:joined', 'session:recreated'),
      walk('event:snapshot', 'session:recreated', 'conn:plain'),
    ],
    title: 'after the log is recreated, the old epoch is refused with a snapshot of the new epoch',
    requires: ['control:session.append', 'control:session.recreate'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 4);
      const recreated = await ctx.control({ type: 'session.recreate', sessionId: seeded.sessionId });
      expect(recreated.epoch !== undefined && recreated.epoch !== seeded.epoch, 'session.recreate did not change the epoch', 'a new epoch', recreated);
      const conn = await ctx.client();
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 2, epoch: seeded.epoch });
      expect(outcome.joined.epoch !== seeded.epoch, 'joined still reports the old epoch', 'the new epoch', outcome.joined);
      expect(
        outcome.joined.resyncRequired && outcome.joined.reason === 'epoch-mismatch',
        'a cursor of the old epoch was not refused',
        'resyncRequired true, reason epoch-mismatch',
        outcome.joined,
      );
      expect(outcome.replayed.length === 0 && outcome.snapshots.length === 1, 'an old-epoch join did not get exactly one snapshot', 'one snapshot, no replay', {
        replayed: outcome.replayed.length,
        snapshots: outcome.snapshots.length,
      });
    },
  }),
  verifies('R2.3', {
    id: 'join.joined-shape',
    walks: [
      walk('request:join', 'session:existing', 'conn:plain'),
      walk('event:joined', 'session:existing', 'conn:plain'),
      walk('event:replay', 'session:existing', 'conn:plain'),
    ],
    title: 'join is answered by joined (event and ack) with sessionId, epoch, cursor, oldestCursor, resyncRequired',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 3);
      const conn = await ctx.client();
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 1, epoch: seeded.epoch });
      expect(
        outcome.joinedEvent !== undefined,
        'no joined event arrived before the acknowledgement',
        'joined emitted before the ack',
        conn.packets.map((p) => p.event),
      );
      const event = outcome.joinedEvent!.payload as Joined;
      expect(JSON.stringify(event) === JSON.stringify(outcome.joined), 'the joined event and the ack disagree', 'identical Joined in event and ack', {
        event,
        ack: outcome.joined,
      });
      const j = outcome.joined;
      expect(
        j.sessionId === seeded.sessionId && j.epoch === seeded.epoch && j.cursor === 3 && j.oldestCursor === 1 && j.resyncRequired === false,
        'joined does not describe the log',
        'sessionId, epoch, cursor 3, oldestCursor 1, resyncRequired false',
        j,
      );
      const firstFrame = conn.frames(seeded.sessionId)[0];
      expect(
        !firstFrame || firstFrame.packetIndex > outcome.joinedEvent!.index,
        'replay arrived before joined',
        'joined before any replay',
        conn.packets.map((p) => p.event),
      );
    },
  }),
  verifies(['R2.3', 'R2.2'], {
    id: 'join.empty-session',
    covers: ['R2.2#oldest-cursor'],
    walks: [
      walk('request:join', 'session:fresh', 'log:empty', 'conn:plain'),
      walk('event:joined', 'session:fresh', 'log:empty', 'conn:plain'),
      walk('event:snapshot', 'session:fresh', 'log:empty', 'conn:plain'),
    ],
    title: 'a join of an empty log reports cursor 0 and oldestCursor 1',
    run: async (ctx) => {
      const conn = await ctx.client();
      const outcome = await joinOk(conn, { sessionId: ctx.sessionId('empty') });
      expect(
        outcome.joined.cursor === 0 && outcome.joined.oldestCursor === 1,
        'an empty log is not described as cursor 0 / oldestCursor 1',
        'cursor 0, oldestCursor 1',
        outcome.joined,
      );
    },
  }),
  verifies('R2.2', {
    id: 'retention.oldest-cursor-tracked',
    covers: ['R2.2#oldest-cursor'],
    walks: [walk('control:session.trim', 'session:existing'), walk('request:join', 'session:existing', 'log:trimmed', 'conn:plain')],
    title: 'oldestCursor follows retention: 1 while everything is kept, the trim point after a trim',
    requires: TRIM,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 6);
      const before = await ctx.headOf(seeded.sessionId);
      expect(before.oldestCursor === 1 && before.cursor === 6, 'oldestCursor/cursor wrong before the trim', 'oldestCursor 1, cursor 6', before);
      await ctx.control({ type: 'session.trim', sessionId: seeded.sessionId, oldestCursor: 4 });
      const after = await ctx.headOf(seeded.sessionId);
      expect(after.oldestCursor === 4 && after.cursor === 6, 'oldestCursor does not follow the trim', 'oldestCursor 4, cursor 6', after);
    },
  }),
  verifies('R2.2', {
    id: 'retention.bounded-by-count',
    covers: ['R2.2#bounded'],
    walks: [walk('control:session.append', 'session:fresh', 'session:existing', 'log:empty', 'log:trimmed')],
    title: 'a log never retains more than hello.limits.maxEvents events',
    requires: ['control:session.append'],
    timeoutFactor: 3,
    run: async (ctx) => {
      const max = ctx.hello.limits.maxEvents;
      if (max > 50_000) ctx.skip(`maxEvents ${max} is above the 50000 events this check appends`);
      const sessionId = ctx.sessionId('count');
      const total = max + 20;
      const perBatch = Math.max(1, Math.min(10_000, Math.floor(ctx.hello.limits.maxPayloadBytes / 400)));
      let head = { cursor: 0 };
      for (let done = 0; done < total; done += perBatch) {
        const n = Math.min(perBatch, total - done);
        head = await ctx.append(
          sessionId,
          Array.from({ length: n }, (_, i) => messageEvent(`m${done + i}`)),
        );
      }
      const j = await ctx.headOf(sessionId);
      expect(j.cursor === total, 'the head is not the number of appended events', `cursor ${total}`, j);
      const retained = j.cursor - j.oldestCursor + 1;
      expect(retained <= max, `the log retains ${retained} events, above maxEvents ${max}`, `at most ${max} retained`, {
        oldestCursor: j.oldestCursor,
        cursor: j.cursor,
        head,
      });
    },
  }),
  verifies('R2.2', {
    id: 'retention.bounded-by-bytes',
    covers: ['R2.2#bounded'],
    walks: [walk('control:session.append', 'session:existing', 'log:trimmed'), walk('event:replay', 'session:existing', 'log:trimmed', 'conn:plain')],
    title: 'a log never retains more than hello.limits.maxBytes of events',
    requires: ['control:session.append'],
    timeoutFactor: 3,
    run: async (ctx) => {
      const maxBytes = ctx.hello.limits.maxBytes;
      if (maxBytes > 64 * 1024 * 1024) ctx.skip(`maxBytes ${maxBytes} is above the 64 MiB this check appends`);
      const textSize = Math.min(60_000, Math.max(1_000, Math.floor(ctx.hello.limits.maxPayloadBytes / 4)));
      const count = Math.min(ctx.hello.limits.maxEvents, Math.ceil((maxBytes * 1.5) / textSize) + 2);
      const sessionId = ctx.sessionId('bytes');
      // As many events per append as the payload limit takes: fewer round trips, same bytes.
      const perAppend = Math.max(1, Math.floor((ctx.hello.limits.maxPayloadBytes * 0.8) / (textSize + 256)));
      for (let done = 0; done < count; done += perAppend) {
        const n = Math.min(perAppend, count - done);
        await ctx.append(
          sessionId,
          Array.from({ length: n }, (_, i) => messageEvent(`${done + i}:${'b'.repeat(textSize)}`)),
        );
      }
      const conn = await ctx.client();
      const head = await ctx.headOf(sessionId);
      const outcome = await joinOk(conn, { sessionId, since: head.oldestCursor - 1, epoch: head.epoch });
      const bytes = outcome.replayed.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(f.frame.event)), 0);
      expect(bytes <= maxBytes, `the log retains ${bytes} bytes of events, above maxBytes ${maxBytes}`, `at most ${maxBytes} bytes retained`, {
        oldestCursor: head.oldestCursor,
        cursor: head.cursor,
        bytes,
      });
      expect(head.oldestCursor > 1, 'nothing was evicted although more than maxBytes was appended', 'oldestCursor > 1', head);
    },
  }),
  verifies('R2.7', {
    id: 'snapshot.retained-durable-events',
    walks: [walk('event:snapshot', 'session:existing', 'log:trimmed', 'conn:plain')],
    title: 'a snapshot carries the messages and the retained durable events in seq order',
    requires: TRIM,
    run: async (ctx) => {
      const s = await trimmedSession(ctx);
      const conn = await ctx.client();
      const outcome = await joinOk(conn, { sessionId: s.sessionId });
      const snap = outcome.snapshots[0] as Snapshot | undefined;
      expect(snap, 'no snapshot on a fresh join', 'one snapshot', outcome.snapshots.length);
      const seqs = snap.events.map((e) => e.seq);
      const wanted = Array.from({ length: s.cursor - s.oldestCursor + 1 }, (_, i) => s.oldestCursor + i);
      expect(
        JSON.stringify(seqs) === JSON.stringify(wanted),
        'snapshot.events is not the retained durable events in order',
        `seqs ${JSON.stringify(wanted)}`,
        seqs,
      );
      expect(snap.oldestCursor === s.oldestCursor, 'snapshot.oldestCursor is wrong', `oldestCursor ${s.oldestCursor}`, snap.oldestCursor);
      const texts = snap.messages.map((m) => m.text);
      for (let i = s.oldestCursor; i <= s.cursor; i++) {
        expect(texts.includes(`seed message ${i}`), `snapshot.messages lacks seed message ${i}`, 'every retained message', texts);
      }
      expect(
        snap.state.hasActiveRun === false && snap.activeRun === null,
        'an idle session snapshot shows an active run',
        'hasActiveRun false, activeRun null',
        { state: snap.state, activeRun: snap.activeRun },
      );
    },
  }),
];
