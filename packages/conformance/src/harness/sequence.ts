import { isDurableEvent, isTerminalToolPhase, type SessionEvent } from '@agent-gateway/schema';
import type { ObservedFrame } from './connection.js';

export type SkipReason = 'compacted' | 'suppressed';

export interface SequenceVerdict {
  ok: boolean;
  problems: string[];
  /** Highest seq accounted for (received or announced as skipped). */
  lastSeq: number;
  /** Seqs announced as withheld, with their reasons. */
  skipped: { fromSeq: number; toSeq: number; reason: string }[];
}

export interface SequenceOptions {
  /** Every frame must carry this epoch. */
  epoch?: string;
  /**
   * Skip reasons this stream may announce. Default both; `[]` demands every seq: a long replay of
   * durable events, or what a run-scoped connection receives live.
   */
  allowSkips?: readonly SkipReason[];
  /**
   * Events the check knows at some seqs (it appended them, or another connection saw them). A
   * known durable event is never acceptable inside a compacted range, and a known event other
   * than a non-terminal tool phase never inside a suppressed one.
   */
  known?: ReadonlyMap<number, SessionEvent>;
}

function withheldWrongly(reason: string, event: SessionEvent): boolean {
  if (reason === 'compacted') return isDurableEvent(event);
  if (reason === 'suppressed') return event.type !== 'tool' || isTerminalToolPhase(event.phase);
  return true;
}

function describeEvent(event: SessionEvent): string {
  return event.type === 'tool' ? `tool ${event.phase}` : event.type;
}

/**
 * Judge what one connection saw of a session: starting after `startAfter`, every seq must arrive
 * exactly once, in order, except ranges a frame announces through `skipped` (toSeq = seq - 1)
 * with an allowed reason that covers only events that may be withheld for it. A seq that arrives
 * after a later one is a reordering (reported once, as late), not loss; a seq that never arrives
 * and was not announced is loss; a repeat is a duplicate.
 */
export function judgeSequence(frames: readonly ObservedFrame[], startAfter: number, options: SequenceOptions | string = {}): SequenceVerdict {
  const opts: SequenceOptions = typeof options === 'string' ? { epoch: options } : options;
  const allow = opts.allowSkips ?? ['compacted', 'suppressed'];
  const problems: string[] = [];
  const skipped: SequenceVerdict['skipped'] = [];
  const arrived = new Set<number>();
  for (const { frame } of frames) if (typeof frame.seq === 'number') arrived.add(frame.seq);
  const reportedLate = new Set<number>();
  const seen = new Set<number>();
  let last = startAfter;
  for (const { frame, source } of frames) {
    const seq = frame.seq as unknown;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      problems.push(`${source} frame without an integer seq (${frame.event?.type ?? 'unknown event'})`);
      continue;
    }
    if (opts.epoch !== undefined && frame.epoch !== opts.epoch)
      problems.push(`${source} frame seq ${seq} carries epoch ${JSON.stringify(frame.epoch)}, expected ${opts.epoch}`);
    if (seen.has(seq) || seq <= startAfter) {
      problems.push(`${source} frame seq ${seq} arrived twice (duplicate)`);
      continue;
    }
    seen.add(seq);
    if (seq <= last) {
      if (!reportedLate.has(seq)) problems.push(`${source} frame seq ${seq} arrived late, after seq ${last} (reordered)`);
      continue;
    }
    if (seq !== last + 1) {
      const s = frame.skipped;
      // Seqs of the hole that do arrive later are a reordering, reported when they come.
      const late: number[] = [];
      const missing: number[] = [];
      for (let q = last + 1; q < seq; q++) (arrived.has(q) ? late : missing).push(q);
      if (late.length > 0) {
        problems.push(`seqs ${compactRanges(late)} arrived late, after seq ${seq} (reordered)`);
        for (const q of late) reportedLate.add(q);
      }
      if (s && s.toSeq === seq - 1 && s.fromSeq <= last + 1) {
        skipped.push({ fromSeq: s.fromSeq, toSeq: s.toSeq, reason: s.reason });
        if (!allow.includes(s.reason)) {
          problems.push(
            `${source} frame seq ${seq} announces ${last + 1}..${seq - 1} as ${s.reason}, which this stream must not skip (${allow.length === 0 ? 'no skip allowed' : `only ${allow.join(', ')}`})`,
          );
        }
        for (let q = last + 1; q < seq; q++) {
          const event = opts.known?.get(q);
          if (event && !arrived.has(q) && withheldWrongly(s.reason, event))
            problems.push(
              `seq ${q} (${describeEvent(event)}) was withheld as ${s.reason}, which only covers ${s.reason === 'compacted' ? 'non-durable events' : 'non-terminal tool mirrors'}`,
            );
        }
      } else if (s) {
        problems.push(`${source} frame seq ${seq} announces skipped ${s.fromSeq}..${s.toSeq} but seqs ${last + 1}..${seq - 1} were missing`);
      } else if (missing.length > 0) {
        problems.push(`gap: seqs ${compactRanges(missing)} never arrived and were not announced as skipped (next was ${seq} via ${source})`);
      }
    } else if (frame.skipped) {
      problems.push(`${source} frame seq ${seq} announces skipped ${frame.skipped.fromSeq}..${frame.skipped.toSeq} although nothing was missing`);
    }
    last = seq;
  }
  return { ok: problems.length === 0, problems, lastSeq: last, skipped };
}

/**
 * Explain how a received list of seqs differs from the expected one: missing, late (reordered),
 * duplicated or unexpected. Empty when they are equal.
 */
export function describeSeqDifference(expected: readonly number[], actual: readonly number[]): string[] {
  const problems: string[] = [];
  const want = new Set(expected);
  const got = new Map<number, number>();
  for (const s of actual) got.set(s, (got.get(s) ?? 0) + 1);
  const missing = expected.filter((s) => !got.has(s));
  const extra = [...got.keys()].filter((s) => !want.has(s));
  const dupes = [...got.entries()].filter(([, n]) => n > 1).map(([s]) => s);
  if (missing.length > 0) problems.push(`never arrived: ${compactRanges(missing)}`);
  if (extra.length > 0) problems.push(`not expected: ${compactRanges(extra)}`);
  if (dupes.length > 0) problems.push(`arrived twice: ${compactRanges(dupes)}`);
  let highest = -Infinity;
  const late: number[] = [];
  for (const s of actual) {
    if (s < highest && want.has(s)) late.push(s);
    highest = Math.max(highest, s);
  }
  if (late.length > 0) problems.push(`arrived late (reordered): ${compactRanges(late)}`);
  return problems;
}

/** 1,2,3,7,9,10 -> "1..3, 7, 9..10" (at most 12 ranges shown). */
export function compactRanges(seqs: readonly number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return ranges.length > 12 ? `${ranges.slice(0, 12).join(', ')}, … (${ranges.length - 12} more ranges)` : ranges.join(', ');
}
