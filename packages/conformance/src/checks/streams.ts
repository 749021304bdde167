import { isDurableEvent, type ScriptStep, type SessionEvent, type Snapshot } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect } from '../harness/assert.js';
import type { ObservedFrame } from '../harness/connection.js';
import { judgeSequence, type SequenceOptions } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { allToolPhases, joinedClient, knownEvents, scriptRun, seededSession, toolStep, waitRunEnd } from './helpers.js';

const SCRIPT: Check['requires'] = ['control:session.append', 'control:run.script'];

/**
 * Every seq after `after` exactly once, in order. `allowSkips` and `known` say which announced
 * skips this connection may get: none on a run-scoped connection, suppressed mirrors on an
 * observer, compacted non-durable events in a replay; `known` holds what a run-scoped connection
 * saw, so a skipped range hiding a durable event or a terminal tool phase fails.
 */
function expectGapless(frames: readonly ObservedFrame[], after: number, options: SequenceOptions, who: string): void {
  const verdict = judgeSequence(frames, after, options);
  const allowed =
    options.allowSkips === undefined ? 'announced skips allowed' : options.allowSkips.length === 0 ? 'no skip' : `${options.allowSkips.join('/')} skips only`;
  expect(
    verdict.ok,
    `${who} did not see a gapless, duplicate-free sequence`,
    `every seq after ${after} exactly once in order (${allowed})`,
    verdict.problems.slice(0, 10),
  );
}

function maxSeq(frames: readonly ObservedFrame[]): number {
  return frames.reduce((m, f) => (typeof f.frame.seq === 'number' && f.frame.seq > m ? f.frame.seq : m), 0);
}

/**
 * A run that streams 50 chunks, then waits at gate "go" before 3000 more (then `tail`), with a
 * watcher that has already seen 30 frames. Releasing the gate and joining right away makes the join
 * land mid-stream, which is the replay -> live handoff under test.
 */
async function streamPausedAtGate(ctx: CheckContext, text: string, tail: ScriptStep[] = []) {
  const seeded = await seededSession(ctx, 2);
  const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
  const ctl = await ctx.controller();
  await joinOk(ctl, { sessionId: seeded.sessionId });
  const steps: ScriptStep[] = [{ type: 'chunks', count: 50, text }, { type: 'hold', gate: 'go' }, { type: 'chunks', count: 3000, text }, ...tail];
  const runId = await scriptRun(ctx, seeded.sessionId, steps);
  await watcher.conn.waitForFrame(seeded.sessionId, 'the 30th streamed frame', (f) => f.frame.seq >= seeded.cursor + 30);
  const release = () => ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'go' });
  return { seeded, watcher, runId, release };
}

export const streamChecks: Check[] = [
  verifies('R1.1', {
    id: 'schema.long-reply-valid',
    title: 'a reply streamed past the 1 MiB text bound of stream.end and response ends without any message violating the schema',
    requires: SCRIPT,
    timeoutFactor: 2,
    walks: [walk('event:session.event', 'session:existing', 'run:running', 'conn:run-scoped')],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      // 1.2 MB of text: more than one stream.end or response may carry (maxLength 1 MiB).
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 300, text: 'w'.repeat(4000) }]);
      const end = await waitRunEnd(ctl, seeded.sessionId, runId);
      // Every frame was validated on arrival: splitting, truncating or failing the run are all
      // conformant, an event over the schema's bounds is not.
      ctx.note(`the long reply ended with status ${(end.frame.event as { status?: string }).status}`);
    },
  }),
  verifies('R2.1', {
    id: 'frames.seq-epoch-on-every-frame',
    walks: [
      walk('event:session.event', 'session:existing', 'run:running', 'conn:run-scoped', 'conn:mirror'),
      walk('event:session.tool', 'session:existing', 'run:running', 'conn:mirror'),
      walk('control:run.script', 'session:existing', 'conn:run-scoped'),
    ],
    title: 'live chunks, run-scoped tool events and session.tool mirrors all carry seq and epoch, gapless',
    requires: SCRIPT,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      const ctlJoin = await joinOk(ctl, { sessionId: seeded.sessionId });
      const observer = await joinedClient(ctx, 'observer', seeded.sessionId);
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 40, text: 'tok ' }, ...allToolPhases('seq')]);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      await waitRunEnd(observer.conn, seeded.sessionId, runId);
      const seenByCtl = knownEvents(ctl.frames(seeded.sessionId));
      for (const [who, conn, cursor, allowSkips] of [
        ['run-scoped connection', ctl, ctlJoin.joined.cursor, []],
        ['observer', observer.conn, observer.joined.cursor, ['suppressed']],
      ] as const) {
        const frames = conn.frames(seeded.sessionId);
        const chunks = frames.filter((f) => f.frame.event?.type === 'stream.chunk');
        expect(chunks.length === 40, `${who} received ${chunks.length} stream chunks`, '40 chunk frames', chunks.length);
        const bad = frames.filter((f) => typeof f.frame.seq !== 'number' || typeof f.frame.epoch !== 'string');
        expect(
          bad.length === 0,
          `${who} received ${bad.length} frames without top-level seq/epoch`,
          'seq and epoch on every frame',
          bad.slice(0, 3).map((f) => ({ source: f.source, frame: f.frame })),
        );
        expectGapless(frames, cursor, { epoch: seeded.epoch, allowSkips, known: seenByCtl }, who);
      }
      const mirrors = observer.conn.frames(seeded.sessionId).filter((f) => f.source === 'session.tool');
      expect(mirrors.length > 0, 'the observer received no session.tool mirror', 'session.tool frames with seq', 0);
    },
  }),
  verifies('R2.1', {
    id: 'frames.seq-on-replayed-chunks',
    walks: [walk('event:replay', 'session:existing', 'run:finished', 'conn:plain'), walk('request:join', 'run:finished', 'conn:plain')],
    title: 'replayed chunks and tool events carry their original seq and epoch',
    requires: SCRIPT,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 20, text: 'r ' }, toolStep('rp', 'start'), toolStep('rp', 'end')]);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      const live = ctl.frames(seeded.sessionId);
      const late = await ctx.client('late');
      const outcome = await joinOk(late, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      expectGapless(outcome.replayed, seeded.cursor, { epoch: seeded.epoch, allowSkips: ['compacted'], known: knownEvents(live) }, 'the replaying connection');
      for (const f of outcome.replayed) {
        const original = live.find((l) => l.frame.seq === f.frame.seq);
        expect(
          !original || JSON.stringify(original.frame.event) === JSON.stringify(f.frame.event),
          `replayed seq ${f.frame.seq} differs from the live event`,
          'the same event at the same seq',
          { live: original?.frame.event, replayed: f.frame.event },
        );
      }
      expect(
        outcome.replayed.some((f) => f.frame.event?.type === 'stream.chunk') || outcome.replayed.some((f) => f.frame.skipped?.reason === 'compacted'),
        'the replay has neither chunks nor announced compaction',
        'chunks replayed with seq, or compaction announced',
        outcome.replayed.length,
      );
    },
  }),
  verifies('R2.5', {
    id: 'resume.join-during-stream-since',
    walks: [
      walk('request:join', 'session:existing', 'run:running', 'conn:plain'),
      walk('event:joined', 'run:running', 'conn:plain'),
      walk('event:replay', 'run:running', 'conn:plain', 'conn:mirror'),
      walk('event:session.event', 'run:running', 'conn:plain'),
      walk('event:session.tool', 'run:running', 'conn:mirror'),
      walk('control:run.release', 'run:running'),
    ],
    title: 'a join with since while the session streams sees every seq exactly once across replay and live',
    requires: [...SCRIPT, 'control:run.release'],
    timeoutFactor: 2,
    run: async (ctx) => {
      const { seeded, watcher, runId, release } = await streamPausedAtGate(ctx, 'stream ', [toolStep('ds', 'start'), toolStep('ds', 'end')]);
      const since = maxSeq(watcher.conn.frames(seeded.sessionId));
      await release();
      const joiner = await ctx.client('joiner');
      const outcome = await joinOk(joiner, { sessionId: seeded.sessionId, since, epoch: seeded.epoch });
      expect(
        outcome.joined.resyncRequired === false,
        'a join with a recent since during streaming was answered with a resync',
        'resyncRequired false',
        outcome.joined,
      );
      const end = await waitRunEnd(joiner, seeded.sessionId, runId);
      if (outcome.joined.cursor >= end.frame.seq) ctx.note('the stream finished before the join was answered; the handoff race was not exercised');
      expect(
        outcome.replayed.every((f) => f.source === 'replay'),
        'frames before the ack were not replay events',
        'replay before ack',
        outcome.replayed.map((f) => f.source),
      );
      const ctl = await ctx.controller();
      await waitRunEnd(ctl, seeded.sessionId, runId);
      expectGapless(
        joiner.frames(seeded.sessionId),
        since,
        { epoch: seeded.epoch, known: knownEvents(ctl.frames(seeded.sessionId)) },
        'the joining connection',
      );
    },
  }),
  verifies('R2.5', {
    id: 'resume.join-during-stream-fresh',
    walks: [walk('request:join', 'run:running', 'conn:plain'), walk('event:snapshot', 'session:existing', 'run:running', 'conn:plain')],
    title: 'a fresh join while the session streams gets a snapshot, then every later seq exactly once',
    requires: [...SCRIPT, 'control:run.release'],
    timeoutFactor: 2,
    run: async (ctx) => {
      const { seeded, runId, release } = await streamPausedAtGate(ctx, 'fresh ');
      await release();
      const joiner = await ctx.client('joiner');
      const outcome = await joinOk(joiner, { sessionId: seeded.sessionId });
      expect(outcome.snapshots.length === 1, 'a fresh join did not get exactly one snapshot', 'one snapshot', outcome.snapshots.length);
      const snap = outcome.snapshots[0]!;
      expect(
        snap.eventCursor === outcome.joined.cursor,
        'snapshot.eventCursor differs from joined.cursor',
        `eventCursor ${outcome.joined.cursor}`,
        snap.eventCursor,
      );
      const endedBeforeJoin = snap.events.some((e) => e.event.type === 'run.end' && e.event.runId === runId);
      if (endedBeforeJoin) ctx.note('the stream finished before the join was answered; the handoff race was not exercised');
      else await waitRunEnd(joiner, seeded.sessionId, runId);
      const live = joiner.frames(seeded.sessionId).filter((f) => f.packetIndex > outcome.ack.index);
      expect(
        outcome.replayed.length === 0,
        'frames arrived between joined and the ack of a fresh join',
        'only the snapshot before the ack',
        outcome.replayed.length,
      );
      const ctl = await ctx.controller();
      await waitRunEnd(ctl, seeded.sessionId, runId);
      expectGapless(
        live,
        snap.eventCursor,
        { epoch: seeded.epoch, allowSkips: ['suppressed'], known: knownEvents(ctl.frames(seeded.sessionId)) },
        'the fresh joiner',
      );
    },
  }),
  verifies('R2.6', {
    id: 'retention.chunk-flood-keeps-durable',
    walks: [
      walk('control:run.script', 'session:existing', 'log:compacted', 'conn:run-scoped'),
      walk('request:join', 'session:existing', 'log:compacted', 'conn:plain'),
      walk('event:joined', 'log:compacted', 'conn:plain'),
      walk('event:replay', 'log:compacted', 'conn:plain'),
      walk('event:session.event', 'log:compacted', 'conn:plain'),
      walk('event:snapshot', 'log:compacted', 'conn:plain'),
    ],
    title: 'after a chunk flood larger than the log, a resume still gets every durable event; compaction is announced',
    requires: SCRIPT,
    timeoutFactor: 4,
    run: async (ctx) => {
      const count = Math.min(100_000, ctx.hello.limits.maxEvents + 200);
      const seeded = await seededSession(ctx, 2);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [toolStep('flood', 'start'), { type: 'chunks', count, text: 'c' }, toolStep('flood', 'result')]);
      await waitRunEnd(watcher.conn, seeded.sessionId, runId);
      const seen = watcher.conn.frames(seeded.sessionId);
      const durableSeqs = new Map<number, SessionEvent>();
      for (const f of seen) if (f.frame.event && isDurableEvent(f.frame.event)) durableSeqs.set(f.frame.seq, f.frame.event);
      const resumer = await ctx.client('resumer');
      const outcome = await joinOk(resumer, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      expect(
        outcome.joined.resyncRequired === false,
        `resuming from before the flood needs a resync (${outcome.joined.reason}): the chunks pushed durable events out`,
        'resyncRequired false: durable events stay replayable',
        outcome.joined,
      );
      const verdict = judgeSequence(outcome.replayed, seeded.cursor, { epoch: seeded.epoch, allowSkips: ['compacted'], known: durableSeqs });
      expect(verdict.ok, 'the replay after the flood has unannounced gaps', 'every seq replayed or announced as compacted', verdict.problems.slice(0, 10));
      const replayed = new Map(outcome.replayed.map((f) => [f.frame.seq, f.frame.event]));
      for (const [seq, event] of durableSeqs) {
        expect(
          JSON.stringify(replayed.get(seq)) === JSON.stringify(event),
          `durable event seq ${seq} (${event.type}) is missing from the replay`,
          'every durable event replayed',
          { seq, replayed: replayed.get(seq) ?? null },
        );
      }
      for (const s of verdict.skipped) {
        expect(s.reason === 'compacted', `a replay gap is announced as ${s.reason}`, 'reason compacted', s);
        for (let q = s.fromSeq; q <= s.toSeq; q++) expect(!durableSeqs.has(q), `compaction removed durable seq ${q}`, 'only non-durable events compacted', s);
      }
      const types = new Set([...durableSeqs.values()].map((e) => e.type));
      for (const t of ['run.start', 'stream.end', 'response', 'run.end'] as const) expect(types.has(t), `the run produced no ${t}`, `a ${t} event`, [...types]);
      if (verdict.skipped.length === 0) ctx.note('the gateway retained every chunk; nothing was compacted');
    },
  }),
  verifies('R2.6', {
    id: 'retention.stream-end-carries-text',
    walks: [walk('event:session.event', 'run:running', 'conn:run-scoped')],
    title: 'stream.end carries the whole streamed text, so compacting the chunks loses no content',
    requires: SCRIPT,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'chunks', count: 25, text: 'part;' }]);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      const frames = ctl.frames(seeded.sessionId);
      const chunks = frames
        .filter((f) => f.frame.event?.type === 'stream.chunk')
        .map((f) => f.frame.event as { streamId: string; index: number; text: string });
      const end = frames.find((f) => f.frame.event?.type === 'stream.end')?.frame.event as { streamId: string; chunkCount: number; text: string } | undefined;
      expect(end, 'the stream ended without a stream.end event', 'a stream.end', null);
      const streamed = chunks
        .filter((c) => c.streamId === end.streamId)
        .sort((a, b) => a.index - b.index)
        .map((c) => c.text)
        .join('');
      expect(
        end.text === streamed && end.chunkCount === chunks.length,
        'stream.end does not carry the streamed text',
        `text of ${chunks.length} chunks (${streamed.length} chars), chunkCount ${chunks.length}`,
        { chunkCount: end.chunkCount, textLength: end.text.length },
      );
      const response = frames.find((f) => f.frame.event?.type === 'response')?.frame.event as { text: string } | undefined;
      expect(response?.text === streamed, 'the final response differs from the streamed text', 'response.text = streamed text', response);
    },
  }),
  verifies('R2.7', {
    id: 'snapshot.active-run',
    walks: [
      walk('request:join', 'session:existing', 'run:running', 'conn:mirror'),
      walk('event:joined', 'run:running', 'conn:mirror'),
      walk('event:snapshot', 'run:running', 'conn:mirror'),
      walk('event:session.tool', 'run:running', 'conn:mirror'),
    ],
    title: 'a snapshot during a run has state, messages, the active run with its text and tool calls',
    requires: [...SCRIPT, 'control:run.release'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [
        { type: 'chunks', count: 5, text: 'abc ' },
        toolStep('snap', 'start'),
        { type: 'hold', gate: 'snap-gate' },
        toolStep('snap', 'end'),
      ]);
      await ctl.waitForFrame(seeded.sessionId, 'tool start', (f) => f.frame.event?.type === 'tool' && (f.frame.event as { phase?: string }).phase === 'start');
      const joiner = await ctx.client('joiner');
      const outcome = await joinOk(joiner, { sessionId: seeded.sessionId });
      const snap = outcome.snapshots[0] as Snapshot | undefined;
      expect(snap, 'a fresh join during a run got no snapshot', 'one snapshot', outcome.snapshots.length);
      expect(
        snap.eventCursor === outcome.joined.cursor && snap.epoch === outcome.joined.epoch,
        'the snapshot is not at the joined position',
        'eventCursor = joined.cursor, same epoch',
        { snap: snap.eventCursor, joined: outcome.joined },
      );
      expect(
        snap.state.hasActiveRun === true && (snap.state.status === 'running' || snap.state.status === 'queued'),
        'snapshot.state does not show the active run',
        'hasActiveRun true, status running',
        snap.state,
      );
      expect(snap.activeRun?.runId === runId, 'snapshot.activeRun is not the running run', `activeRun.runId ${runId}`, snap.activeRun);
      expect(
        snap.activeRun.text.includes('abc abc abc abc abc'),
        'snapshot.activeRun.text lacks the streamed text',
        'the five streamed chunks',
        snap.activeRun.text,
      );
      const tool = snap.activeRun.tools.find((t) => t.toolCallId === 'snap');
      expect(tool?.phase === 'start', 'snapshot.activeRun.tools lacks the started tool call', 'tool snap in phase start', snap.activeRun.tools);
      const texts = snap.messages.map((m) => m.text);
      expect(texts.includes('seed message 1') && texts.includes('seed message 2'), 'snapshot.messages lacks the conversation', 'both seed messages', texts);
      expect(
        snap.events.every((e) => isDurableEvent(e.event)) && snap.events.some((e) => e.event.type === 'run.start'),
        'snapshot.events is not the retained durable events',
        'durable events only, including run.start',
        snap.events.map((e) => e.event.type),
      );
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'snap-gate' });
      await waitRunEnd(joiner, seeded.sessionId, runId);
      await waitRunEnd(ctl, seeded.sessionId, runId);
      expectGapless(
        joiner.frames(seeded.sessionId).filter((f) => f.packetIndex > outcome.ack.index),
        snap.eventCursor,
        { epoch: seeded.epoch, allowSkips: ['suppressed'], known: knownEvents(ctl.frames(seeded.sessionId)) },
        'the snapshot joiner',
      );
    },
  }),
];
