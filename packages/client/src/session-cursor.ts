import type { EventFrame, ToolFrame } from '@agent-gateway/schema';

/** What to do with one inbound frame of a joined session. */
export type FrameVerdict =
  | { kind: 'apply' }
  /** Already seen (seq at or below the cursor): drop it. */
  | { kind: 'duplicate' }
  /** Arrived while a (re)join is pending: the join's replay or snapshot covers it. */
  | { kind: 'stale' }
  /** Seqs are missing (or the epoch changed): the view can no longer be trusted, resync. */
  | { kind: 'gap'; expectedSeq: number; receivedSeq: number; epochChanged: boolean };

/** `joining`: a join is pending and frames are held off; `live`: frames continue the log. */
export type JoinPhase = 'joining' | 'live';

export interface SessionPosition {
  sessionId: string;
  /** Epoch of the log the cursor belongs to; undefined before the first join answer. */
  epoch: string | undefined;
  /** Seq of the last event seen (0 before the first). */
  seq: number;
  phase: JoinPhase;
}

/**
 * Where the client stands in one session's log: the last (epoch, seq) seen. It decides for every
 * frame whether it continues the log, repeats it, or reveals loss. Seqs covered by a frame's
 * `skipped` range were withheld on purpose and count as seen.
 */
export class SessionCursor implements SessionPosition {
  readonly sessionId: string;
  epoch: string | undefined = undefined;
  seq = 0;
  phase: JoinPhase = 'joining';

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  /** A join (first or again) was sent: frames are held off until it is answered. */
  beginJoin(resumeFrom?: { epoch: string; seq: number }): void {
    if (resumeFrom) {
      this.epoch = resumeFrom.epoch;
      this.seq = resumeFrom.seq;
    }
    this.phase = 'joining';
  }

  /** The gateway will replay from the cursor: it stays where it was and frames continue it. */
  joined(epoch: string): void {
    this.epoch = epoch;
    this.phase = 'live';
  }

  /** A snapshot is authoritative: the cursor jumps to its eventCursor. */
  snapshot(epoch: string, eventCursor: number): void {
    this.epoch = epoch;
    this.seq = eventCursor;
    this.phase = 'live';
  }

  /** Judge a frame and, when it continues the log, advance the cursor past it. */
  accept(frame: EventFrame | ToolFrame): FrameVerdict {
    if (this.phase === 'joining') return { kind: 'stale' };
    const expectedSeq = this.seq + 1;
    if (frame.epoch !== this.epoch) {
      return { kind: 'gap', expectedSeq, receivedSeq: frame.seq, epochChanged: true };
    }
    if (frame.seq <= this.seq) return { kind: 'duplicate' };
    if (frame.seq !== expectedSeq) {
      const skipped = frame.skipped;
      const coversHole = skipped !== undefined && skipped.toSeq === frame.seq - 1 && skipped.fromSeq <= expectedSeq;
      if (!coversHole) return { kind: 'gap', expectedSeq, receivedSeq: frame.seq, epochChanged: false };
    }
    this.seq = frame.seq;
    return { kind: 'apply' };
  }
}
