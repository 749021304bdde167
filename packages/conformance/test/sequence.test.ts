import { describe, expect, it } from 'vitest';
import type { ObservedFrame } from '../src/harness/connection.js';
import { judgeSequence } from '../src/harness/sequence.js';
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
    expect(v.problems[0]).toMatch(/gap: seqs 5\.\.5/);
  });
  it('accepts an announced skip and reports it', () => {
    const v = judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 6, reason: 'suppressed' })], 3);
    expect(v).toMatchObject({ ok: true, skipped: [{ fromSeq: 5, toSeq: 6, reason: 'suppressed' }] });
  });
  it('flags a skip that does not end right before the frame', () => {
    expect(judgeSequence([frame(4), frame(7, { fromSeq: 5, toSeq: 5, reason: 'compacted' })], 3).ok).toBe(false);
  });
  it('flags duplicates and reordering', () => {
    expect(judgeSequence([frame(4), frame(4)], 3).problems[0]).toMatch(/duplicate or reordered/);
    expect(judgeSequence([frame(5), frame(4)], 3).ok).toBe(false);
  });
  it('flags frames without seq and foreign epochs', () => {
    const noSeq = { ...frame(4), frame: { ...frame(4).frame, seq: undefined as unknown as number } };
    expect(judgeSequence([noSeq], 3).problems[0]).toMatch(/without an integer seq/);
    expect(judgeSequence([frame(4)], 3, 'other').ok).toBe(false);
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
