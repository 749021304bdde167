import type { ObservedFrame } from './connection.js';

export interface SequenceVerdict {
  ok: boolean;
  problems: string[];
  /** Highest seq accounted for (received or announced as skipped). */
  lastSeq: number;
  /** Seqs announced as withheld, with their reasons. */
  skipped: { fromSeq: number; toSeq: number; reason: string }[];
}

/**
 * Judge what one connection saw of a session: starting after `startAfter`, every seq must arrive
 * exactly once, in order, except ranges a frame announces through `skipped` (toSeq = seq - 1).
 * Any other gap is loss; a repeat or step back is a duplicate or a reordering.
 */
export function judgeSequence(frames: readonly ObservedFrame[], startAfter: number, epoch?: string): SequenceVerdict {
  const problems: string[] = [];
  const skipped: SequenceVerdict['skipped'] = [];
  let last = startAfter;
  for (const { frame, source } of frames) {
    const seq = frame.seq as unknown;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      problems.push(`${source} frame without an integer seq (${frame.event?.type ?? 'unknown event'})`);
      continue;
    }
    if (epoch !== undefined && frame.epoch !== epoch)
      problems.push(`${source} frame seq ${seq} carries epoch ${JSON.stringify(frame.epoch)}, expected ${epoch}`);
    if (seq <= last) {
      problems.push(`${source} frame seq ${seq} arrived after seq ${last} (duplicate or reordered)`);
      continue;
    }
    if (seq !== last + 1) {
      const s = frame.skipped;
      if (s && s.toSeq === seq - 1 && s.fromSeq <= last + 1) {
        skipped.push({ fromSeq: s.fromSeq, toSeq: s.toSeq, reason: s.reason });
      } else if (s) {
        problems.push(`${source} frame seq ${seq} announces skipped ${s.fromSeq}..${s.toSeq} but seqs ${last + 1}..${seq - 1} were missing`);
      } else {
        problems.push(`gap: seqs ${last + 1}..${seq - 1} never arrived and were not announced as skipped (next was ${seq} via ${source})`);
      }
    } else if (frame.skipped) {
      problems.push(`${source} frame seq ${seq} announces skipped ${frame.skipped.fromSeq}..${frame.skipped.toSeq} although nothing was missing`);
    }
    last = seq;
  }
  return { ok: problems.length === 0, problems, lastSeq: last, skipped };
}
