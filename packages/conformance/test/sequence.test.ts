import { describe, expect, it } from 'vitest';
import type { ObservedFrame } from '../src/harness/connection.js';
import { describeSeqDifference, judgeSequence } from '../src/harness/sequence.js';
import { parseExpectedFailures } from '../src/expected-failures.js';

const frame = (seq: number, skipped?: { fromSeq: number; toSeq: number; reason: 'compacted' | 'suppressed' }): ObservedFrame => ({
  source: 'session.event',
  packetIndex: seq,
  frame: { sessionId: 's', epoch: 'e', seq, event: { type: 'message', messageId: `m${seq}`, role: 'user', text: 'x', at: 0 }, ...(skipped ? { skipped } : {}) },
});

describe('judgeSequence', () => {
  it('accepts a gapless run', () => {
    expect(judgeSequence([frame(4), frame(5), frame(6)], 3, 'e')).toMatchObject({ ok: true, lastSeq: 6 });
  });
  it('flags a gap that was not announced', () => {
    const v = judgeSequence([frame(4), frame(6)], 3);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/gap: seqs 5 never arrived/);
  });
  it('accepts an announced skip and reports it', () => {
    const v = judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 6, reason: 'suppressed' })], 3);
    expect(v).toMatchObject({ ok: true, skipped: [{ fromSeq: 5, toSeq: 6, reason: 'suppressed' }] });
  });
  it('flags a skip that does not end right before the frame', () => {
    expect(judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 5, reason: 'compacted' })], 3).ok).toBe(false);
  });
  it('flags duplicates', () => {
    expect(judgeSequence([frame(4), frame(4)], 3).problems).toEqual(['session.event frame seq 4 arrived twice (duplicate)']);
    expect(judgeSequence([frame(3)], 3).problems[0]).toMatch(/arrived twice/);
  });
  it('reports a frame that arrives late as a reordering, once, not as loss', () => {
    const v = judgeSequence([frame(4), frame(6), frame(5), frame(7)], 3);
    expect(v.problems).toEqual(['seqs 5 arrived late, after seq 6 (reordered)']);
    expect(judgeSequence([frame(5), frame(4)], 3).problems).toEqual(['seqs 4 arrived late, after seq 5 (reordered)']);
  });
  it('tells late frames and lost ones apart in the same hole', () => {
    const v = judgeSequence([frame(4), frame(8), frame(6)], 3);
    expect(v.problems).toEqual([
      'seqs 6 arrived late, after seq 8 (reordered)',
      'gap: seqs 5, 7 never arrived and were not announced as skipped (next was 8 via session.event)',
    ]);
  });
  it('flags frames without seq and foreign epochs', () => {
    const noSeq = { ...frame(4), frame: { ...frame(4).frame, seq: undefined as unknown as number } };
    expect(judgeSequence([noSeq], 3).problems[0]).toMatch(/without an integer seq/);
    expect(judgeSequence([frame(4)], 3, 'other').ok).toBe(false);
  });
  it('refuses a skip reason the stream may not use', () => {
    const v = judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 6, reason: 'compacted' })], 3, { allowSkips: [] });
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/announces 5\.\.6 as compacted, which this stream must not skip \(no skip allowed\)/);
    expect(judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 6, reason: 'compacted' })], 3, { allowSkips: ['suppressed'] }).ok).toBe(false);
  });
  it('never accepts a known durable event inside a compacted range, nor a terminal tool phase inside a suppressed one', () => {
    const message = frame(5).frame.event;
    const chunk = { type: 'stream.chunk' as const, runId: 'r', streamId: 's', index: 0, text: 'c' };
    const compacted = frame(7, { fromSeq: 5, toSeq: 6, reason: 'compacted' });
    expect(judgeSequence([frame(4), compacted], 3, { known: new Map([[6, chunk]]) }).ok).toBe(true);
    const lost = judgeSequence([frame(4), compacted], 3, {
      known: new Map([
        [5, message],
        [6, chunk],
      ]),
    });
    expect(lost.problems).toEqual(['seq 5 (message) was withheld as compacted, which only covers non-durable events']);
    const tool = (phase: 'update' | 'result') => ({ type: 'tool' as const, runId: 'r', toolCallId: 't', toolName: 'n', phase, at: 0 });
    const suppressed = frame(7, { fromSeq: 5, toSeq: 6, reason: 'suppressed' });
    expect(judgeSequence([frame(4), suppressed], 3, { known: new Map([[5, tool('update')]]) }).ok).toBe(true);
    expect(judgeSequence([frame(4), suppressed], 3, { known: new Map([[6, tool('result')]]) }).problems[0]).toMatch(
      /seq 6 \(tool result\) was withheld as suppressed/,
    );
  });
});

describe('describeSeqDifference', () => {
  it('names missing, unexpected, doubled and late seqs', () => {
    expect(describeSeqDifference([1, 2, 3, 4], [1, 2, 3, 4])).toEqual([]);
    expect(describeSeqDifference([1, 2, 3, 4], [1, 3, 2, 4, 4, 9])).toEqual(['not expected: 9', 'arrived twice: 4', 'arrived late (reordered): 2']);
    expect(describeSeqDifference([1, 2, 3, 4, 5], [1, 5])).toEqual(['never arrived: 2..4']);
  });
});

describe('parseExpectedFailures', () => {
  const ids = ['a.one', 'b.two'];
  it('reads lists, maps and objects', () => {
    expect([...parseExpectedFailures('- a.one\n- id: b.two\n  reason: known\n', ids)]).toEqual([
      ['a.one', ''],
      ['b.two', 'known'],
    ]);
    expect([...parseExpectedFailures('expectedFailures:\n  a.one: flaky network\n', ids)]).toEqual([['a.one', 'flaky network']]);
    expect(parseExpectedFailures('', ids).size).toBe(0);
  });
  it('refuses unknown ids', () => {
    expect(() => parseExpectedFailures('- nope.x\n', ids)).toThrow(/unknown check id/);
  });
});
