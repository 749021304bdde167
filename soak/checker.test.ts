/*
 * The checker must see what it is there to see: each case feeds it the packets a client would
 * decode, in order, and expects the counts or the violation. (The soak run itself proves the other
 * half: against the deliberately broken gateways of @agent-gateway/server/testing, e.g.
 * `npm run soak -- --smoke --mutant partialReplayWhenTooOld`, it reports violations.)
 */
import type { Snapshot } from '@agent-gateway/schema';
import { describe, expect, it } from 'vitest';
import { Checker, type ClientObserver, type WirePacket } from './checker.js';
import { RunChecks } from './run-checks.js';

const EPOCH = 'e1';
const connect: WirePacket = { type: 0, data: { sid: 'x' } };
const event = (name: string, payload: unknown): WirePacket => ({ type: 2, data: [name, payload] });
const ack = (id: number, result: unknown): WirePacket => ({ type: 3, id, data: [result] });
const joined = (cursor: number, extra: Record<string, unknown> = {}) => ({
  sessionId: 's',
  epoch: EPOCH,
  cursor,
  oldestCursor: 1,
  resyncRequired: false,
  protocolVersion: '1.0',
  ...extra,
});
const chunk = (seq: number, skipped?: { fromSeq: number; toSeq: number; reason: string }) => ({
  sessionId: 's',
  epoch: EPOCH,
  seq,
  event: { type: 'stream.chunk', runId: 'r', streamId: 'r-s0', index: seq, text: 't' },
  ...(skipped ? { skipped } : {}),
});

function setup(): { checker: Checker; client: ClientObserver } {
  const runs = new RunChecks();
  const checker = new Checker(runs);
  runs.attach(checker);
  const client = checker.client('c');
  client.incoming(connect);
  return { checker, client };
}

/** Join from `since` (replaying `replayed`), then live frames. */
function resume(client: ClientObserver, since: number, cursor: number, replayed: number[]): void {
  client.outgoing('join', { sessionId: 's', since, epoch: EPOCH }, 'resume');
  client.incoming(event('joined', joined(cursor)));
  for (const seq of replayed) client.incoming(event('replay', [chunk(seq)]));
  client.incoming(ack(1, { ok: true, data: joined(cursor) }));
}

describe('soak checker', () => {
  it('counts a clean resume with its replay and live frames and finds nothing wrong', () => {
    const { checker, client } = setup();
    resume(client, 2, 4, [3, 4]);
    client.incoming(event('session.event', [chunk(5), chunk(6)]));
    expect(checker.violations.total()).toBe(0);
    expect(checker.counts.get('resumes by replay')).toBe(1);
    expect(checker.counts.get('frames (replay)')).toBe(2);
    expect(checker.counts.get('frames (live)')).toBe(2);
    expect(client.position('s')).toEqual({ epoch: EPOCH, seq: 6 });
  });

  it('accepts a gap announced by skipped and counts the skipped seqs by reason', () => {
    const { checker, client } = setup();
    resume(client, 0, 0, []);
    client.incoming(event('session.event', [chunk(1), chunk(5, { fromSeq: 2, toSeq: 4, reason: 'suppressed' })]));
    expect(checker.violations.total()).toBe(0);
    expect(checker.skipped.get('suppressed')).toBe(3);
  });

  it('reports an unannounced gap and a duplicate', () => {
    const { checker, client } = setup();
    resume(client, 0, 0, []);
    client.incoming(event('session.event', [chunk(1), chunk(3)]));
    client.incoming(event('session.event', [chunk(3)]));
    expect(checker.violations.get('gap')).toBe(1);
    expect(checker.violations.get('duplicate')).toBe(1);
  });

  it('reports live frames that arrive between joined and the join answer, in packet order', () => {
    const { checker, client } = setup();
    client.outgoing('join', { sessionId: 's', since: 0, epoch: EPOCH }, 'resume');
    client.incoming(event('joined', joined(1)));
    client.incoming(event('replay', [chunk(1)]));
    client.incoming(event('session.event', [chunk(2)]));
    client.incoming(ack(1, { ok: true, data: joined(1) }));
    expect(checker.violations.get('live-before-answer')).toBe(1);
  });

  it('reports a replay where R2.4 requires a snapshot, and a partial replay', () => {
    const { checker, client } = setup();
    // since 1 < oldestCursor - 1 = 4: the only correct answer is a resync.
    client.outgoing('join', { sessionId: 's', since: 1, epoch: EPOCH }, 'stale');
    client.incoming(event('joined', joined(8, { oldestCursor: 5 })));
    client.incoming(event('replay', [chunk(5)]));
    client.incoming(ack(1, { ok: true, data: joined(8, { oldestCursor: 5 }) }));
    expect(checker.violations.get('resume-decision')).toBe(1);
    expect(checker.violations.get('gap')).toBe(1);
  });

  it('holds a resync join to one snapshot at the joined cursor and counts its reason', () => {
    const { checker, client } = setup();
    client.outgoing('join', { sessionId: 's', since: 3, epoch: 'other' }, 'wrong-epoch');
    const answer = joined(7, { resyncRequired: true, reason: 'epoch-mismatch' });
    client.incoming(event('joined', answer));
    client.incoming(event('snapshot', { sessionId: 's', epoch: EPOCH, eventCursor: 7, oldestCursor: 1, messages: [], activeRun: null, events: [] }));
    client.incoming(ack(1, { ok: true, data: answer }));
    client.incoming(event('session.event', [chunk(8)]));
    expect(checker.violations.total()).toBe(0);
    expect(checker.resyncs.get('epoch-mismatch')).toBe(1);
  });

  it('reports a client resuming from beyond what it saw', () => {
    const { checker, client } = setup();
    resume(client, 0, 2, [1, 2]);
    client.incoming(connect);
    client.outgoing('join', { sessionId: 's', since: 5, epoch: EPOCH }, 'typed');
    expect(checker.violations.get('cursor-beyond-seen')).toBe(1);
  });

  it('reports a run shown active again after its terminal sessions.changed, and counts an older row that arrives late', () => {
    const { checker, client } = setup();
    const row = (status: string, active: boolean, revision: number) => ({
      sessionId: 's',
      status,
      hasActiveRun: active,
      activeRunId: active ? 'run-1' : null,
      lastRunId: 'run-1',
      updatedAt: 1,
      revision,
    });
    client.incoming(event('sessions.changed', { sessionId: 's', reason: 'run.end', row: row('completed', false, 5) }));
    // Published by another node before the terminal row, delivered after it: a client keeps revision 5.
    client.incoming(event('sessions.changed', { sessionId: 's', reason: 'run.start', row: row('running', true, 4) }));
    expect(checker.violations.total()).toBe(0);
    expect(checker.counts.get('older rows (lower revision) showing an ended run active, after its run.end row')).toBe(1);
    client.incoming(ack(2, { ok: true, data: { sessions: [row('running', true, 5)] } }));
    client.incoming(event('sessions.changed', { sessionId: 's', reason: 'run.start', row: row('running', true, 6) }));
    expect(checker.violations.get('revived-active-run')).toBe(2);
  });

  it('reports two runs for one acknowledged key and a key whose message is missing', () => {
    const runs = new RunChecks();
    const checker = new Checker(runs);
    runs.attach(checker);
    runs.sendAttempted('s', 'k1', 'text k1');
    runs.sendAcknowledged('s', 'k1', 'run-1', false);
    runs.sendAcknowledged('s', 'k1', 'run-2', true);
    runs.sendAttempted('s', 'k2', 'text k2');
    runs.sendAcknowledged('s', 'k2', 'run-3', false);
    const snapshot: Snapshot = {
      sessionId: 's',
      epoch: EPOCH,
      eventCursor: 3,
      oldestCursor: 1,
      state: { status: 'completed', hasActiveRun: false, createdAt: 1, updatedAt: 1 },
      messages: [{ messageId: 'm', role: 'user', text: 'text k1', runId: 'run-1', seq: 1, at: 1 }],
      activeRun: null,
      events: [],
    };
    runs.finish(new Map([['s', snapshot]]), new Set());
    expect(checker.violations.get('two-runs-for-one-key')).toBe(1);
    expect(checker.violations.get('acknowledged-send-not-one-run')).toBe(1);
  });
  it('counts a run ended by another node after its node was killed, reports one whose node was not killed, and tells an open call of such a run apart', () => {
    const { checker, client } = setup();
    const runs = checker.runs;
    const takeover = (runId: string, node: string) => ({
      type: 'run.end',
      runId,
      status: 'failed',
      error: {
        code: 'UNAVAILABLE',
        message: `The gateway running this run (${node}) stopped before it ended; the run was ended as failed by a.`,
        retryable: true,
      },
      at: 1,
    });
    const frame = (seq: number, event: Record<string, unknown>) => ({ sessionId: 's', epoch: EPOCH, seq, event });
    runs.nodeKilled('b');
    resume(client, 0, 0, []);
    client.incoming(
      event('session.event', [
        frame(1, { type: 'tool', runId: 'run-1-b', toolCallId: 't1', toolName: 'search', phase: 'start', at: 1 }),
        frame(2, takeover('run-1-b', 'b')),
        frame(3, takeover('run-2-c', 'c')),
      ]),
    );
    runs.finish(new Map(), new Set(['c']));
    expect(runs.counts.get('runs ended as failed by a takeover after their node was killed')).toBe(1);
    expect(checker.violations.get('run-taken-over-from-live-node')).toBe(1);
    expect(checker.violations.get('tool-call-open-at-orphaned-run-end')).toBe(1);
    expect(checker.violations.get('tool-call-open-at-run-end')).toBe(0);
  });
});
