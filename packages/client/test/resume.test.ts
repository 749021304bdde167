import { describe, expect, it } from 'vitest';
import type { EventFrame } from '@agent-gateway/schema';
import { ResumeTracker } from '../src/resume.js';

const S = 'sess-1';
function frame(seq: number, extra: Partial<EventFrame> = {}): EventFrame {
  return {
    sessionId: S,
    epoch: 'e1',
    seq,
    event: { type: 'stream.chunk', runId: 'r1', streamId: 's', index: seq, text: 'x' },
    ...extra,
  };
}

function liveTracker(seq = 0): ResumeTracker {
  const tracker = new ResumeTracker();
  tracker.beginJoin(S);
  tracker.snapshot(S, 'e1', seq);
  return tracker;
}

describe('ResumeTracker', () => {
  it('applies consecutive seqs and advances the cursor', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(4))).toEqual({ kind: 'apply' });
    expect(tracker.accept(frame(5))).toEqual({ kind: 'apply' });
    expect(tracker.get(S)?.seq).toBe(5);
  });

  it('drops duplicates at or below the cursor', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(3)).kind).toBe('duplicate');
    expect(tracker.accept(frame(1)).kind).toBe('duplicate');
    expect(tracker.get(S)?.seq).toBe(3);
  });

  it('reports a gap when a seq is missing', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(5))).toEqual({ kind: 'gap', expectedSeq: 4, receivedSeq: 5, epochChanged: false });
    expect(tracker.get(S)?.seq).toBe(3);
  });

  it('counts a skipped range ending just before the frame as seen', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(8, { skipped: { fromSeq: 4, toSeq: 7, reason: 'suppressed' } })).kind).toBe('apply');
    expect(tracker.get(S)?.seq).toBe(8);
    // a range that starts before the cursor still covers the hole
    expect(tracker.accept(frame(10, { skipped: { fromSeq: 5, toSeq: 9, reason: 'compacted' } })).kind).toBe('apply');
  });

  it('does not let a skipped range that leaves a hole hide loss', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(8, { skipped: { fromSeq: 6, toSeq: 7, reason: 'suppressed' } })).kind).toBe('gap');
    // nor one that does not end right before the frame
    expect(tracker.accept(frame(8, { skipped: { fromSeq: 4, toSeq: 6, reason: 'suppressed' } })).kind).toBe('gap');
  });

  it('treats a frame from another epoch as a gap', () => {
    const tracker = liveTracker(3);
    expect(tracker.accept(frame(4, { epoch: 'e2' }))).toMatchObject({ kind: 'gap', epochChanged: true });
  });

  it('holds frames off while a join is pending, and for sessions it does not follow', () => {
    const tracker = new ResumeTracker();
    tracker.beginJoin(S, { epoch: 'e1', seq: 10 });
    expect(tracker.accept(frame(11)).kind).toBe('stale');
    tracker.joined(S, 'e1');
    expect(tracker.accept(frame(11)).kind).toBe('apply');
    expect(tracker.accept(frame(1, { sessionId: 'other' })).kind).toBe('stale');
  });

  it('keeps the resume cursor across joined (replay) and jumps on a snapshot', () => {
    const tracker = new ResumeTracker();
    tracker.beginJoin(S, { epoch: 'e1', seq: 10 });
    tracker.joined(S, 'e1');
    expect(tracker.get(S)).toMatchObject({ epoch: 'e1', seq: 10, phase: 'live' });
    tracker.beginJoin(S);
    tracker.snapshot(S, 'e2', 42);
    expect(tracker.get(S)).toMatchObject({ epoch: 'e2', seq: 42, phase: 'live' });
  });
});
