import type { EventFrame, ToolFrame } from '@agent-gateway/schema';
import { SessionCursor, type FrameVerdict, type SessionPosition } from './session-cursor.js';

export type { FrameVerdict, JoinPhase, SessionPosition } from './session-cursor.js';

/**
 * The cursors of several sessions, for code that routes frames itself (a custom client or a
 * relay). `GatewayClient` keeps one `SessionCursor` inside each followed session instead.
 */
export class ResumeTracker {
  private readonly cursors = new Map<string, SessionCursor>();

  get(sessionId: string): SessionPosition | undefined {
    return this.cursors.get(sessionId);
  }

  sessionIds(): string[] {
    return [...this.cursors.keys()];
  }

  /** A join (first or again) was sent: frames are held off until its `joined` arrives. */
  beginJoin(sessionId: string, resumeFrom?: { epoch: string; seq: number }): SessionPosition {
    let cursor = this.cursors.get(sessionId);
    if (!cursor) {
      cursor = new SessionCursor(sessionId);
      this.cursors.set(sessionId, cursor);
    }
    cursor.beginJoin(resumeFrom);
    return cursor;
  }

  /**
   * The gateway answered the join. On a replay the cursor stays where it was (the replay continues
   * from it); on a resync the snapshot that follows sets it.
   */
  joined(sessionId: string, epoch: string): void {
    this.cursors.get(sessionId)?.joined(epoch);
  }

  /** A snapshot is authoritative: the cursor jumps to its eventCursor. */
  snapshot(sessionId: string, epoch: string, eventCursor: number): void {
    this.cursors.get(sessionId)?.snapshot(epoch, eventCursor);
  }

  forget(sessionId: string): void {
    this.cursors.delete(sessionId);
  }

  /** Judge a frame and, when it continues the log, advance the cursor past it. */
  accept(frame: EventFrame | ToolFrame): FrameVerdict {
    const cursor = this.cursors.get(frame.sessionId);
    return cursor ? cursor.accept(frame) : { kind: 'stale' };
  }
}
