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
 * Tracks, per joined session, the last (epoch, seq) seen and decides for every frame whether it
 * continues the log, repeats it, or reveals loss. Seqs covered by a frame's `skipped` range were
 * withheld on purpose and count as seen.
 */
export class ResumeTracker {
  private readonly positions = new Map<string, SessionPosition>();

  get(sessionId: string): SessionPosition | undefined {
    return this.positions.get(sessionId);
  }

  sessionIds(): string[] {
    return [...this.positions.keys()];
  }

  /** A join (first or again) was sent: frames are held off until its `joined` arrives. */
  beginJoin(sessionId: string, resumeFrom?: { epoch: string; seq: number }): SessionPosition {
    let position = this.positions.get(sessionId);
    if (!position) {
      position = { sessionId, epoch: undefined, seq: 0, phase: 'joining' };
      this.positions.set(sessionId, position);
    }
    if (resumeFrom) {
      position.epoch = resumeFrom.epoch;
      position.seq = resumeFrom.seq;
    }
    position.phase = 'joining';
    return position;
  }

  /**
   * The gateway answered the join. On a replay the cursor stays where it was (the replay continues
   * from it); on a resync the snapshot that follows sets it.
   */
  joined(sessionId: string, epoch: string): void {
    const position = this.positions.get(sessionId);
    if (!position) return;
    position.epoch = epoch;
    position.phase = 'live';
  }

  /** A snapshot is authoritative: the cursor jumps to its eventCursor. */
  snapshot(sessionId: string, epoch: string, eventCursor: number): void {
    const position = this.positions.get(sessionId);
    if (!position) return;
    position.epoch = epoch;
    position.seq = eventCursor;
    position.phase = 'live';
  }

  forget(sessionId: string): void {
    this.positions.delete(sessionId);
  }

  /** Judge a frame and, when it continues the log, advance the cursor past it. */
  accept(frame: EventFrame | ToolFrame): FrameVerdict {
    const position = this.positions.get(frame.sessionId);
    if (!position || position.phase === 'joining') return { kind: 'stale' };
    const expectedSeq = position.seq + 1;
    if (frame.epoch !== position.epoch) {
      return { kind: 'gap', expectedSeq, receivedSeq: frame.seq, epochChanged: true };
    }
    if (frame.seq <= position.seq) return { kind: 'duplicate' };
    if (frame.seq !== expectedSeq) {
      const skipped = frame.skipped;
      const coversHole = skipped !== undefined && skipped.toSeq === frame.seq - 1 && skipped.fromSeq <= expectedSeq;
      if (!coversHole) return { kind: 'gap', expectedSeq, receivedSeq: frame.seq, epochChanged: false };
    }
    position.seq = frame.seq;
    return { kind: 'apply' };
  }
}
