import { isTerminalToolPhase, type EventFrame, type SkippedRange, type ToolEvent, type ToolFrame } from '@agent-gateway/schema';
import type { LogEntry } from '../log/index.js';
import type { FrameChannel, Outbox } from './outbox.js';
import { estimateEventBytes, estimateFrameBytes } from './pending-bytes.js';

/** One socket joined to one session. */
export interface Member {
  readonly sessionId: string;
  readonly outbox: Outbox;
  /** Seq of the last frame accounted for on this socket (sent, or announced as skipped). */
  lastSeq: number;
  /** Why seqs after lastSeq were not sent, announced on the next frame that is. */
  gapReason: SkippedRange['reason'] | undefined;
}

/** What a mirror policy sees for one session.tool mirror to one socket. */
export interface MirrorContext {
  sessionId: string;
  socketId: string;
  event: ToolEvent;
  seq: number;
  terminal: boolean;
  /** Output the socket still owes its peer, in bytes: queued in its outbox plus its transport buffers. */
  pendingBytes: () => number;
  /** Frames still queued in the socket's outbox. */
  pendingFrames: number;
}

/**
 * Decides per mirror whether to send it. The default delivers everything; a pressure-aware policy
 * suppresses non-terminal mirrors during back-off or for slow consumers. Suppressed seqs are
 * announced with skipped.reason = "suppressed" on the socket's next frame of the session.
 */
export type MirrorDecision = 'deliver' | 'suppress';
export type MirrorPolicy = (context: MirrorContext) => MirrorDecision;

export const deliverAllMirrors: MirrorPolicy = () => 'deliver';

export interface FanoutOptions {
  /** Is this socket run-scoped for that run (starter or run.subscribe)? */
  isRunScoped(runId: string, socketId: string): boolean;
  /** Which mirrors go out (default: all). */
  mirrorPolicy?: MirrorPolicy;
}

export interface FanoutCounters {
  framesDelivered: number;
  mirrorsDelivered: number;
  mirrorsSuppressed: number;
}

/**
 * Routes appended events to every socket joined to their session: session.event for everything,
 * except tool events for sockets not run-scoped for the run, which become session.tool mirrors that
 * the mirror policy may withhold. Tracks each socket's contiguous seq so that any gap it leaves is
 * announced, never silent.
 */
export class Fanout {
  private readonly sessions = new Map<string, Map<string, Member>>();
  private mirrorPolicy: MirrorPolicy;
  readonly counters: FanoutCounters = { framesDelivered: 0, mirrorsDelivered: 0, mirrorsSuppressed: 0 };

  constructor(private readonly options: FanoutOptions) {
    this.mirrorPolicy = options.mirrorPolicy ?? deliverAllMirrors;
  }

  setMirrorPolicy(policy: MirrorPolicy): void {
    this.mirrorPolicy = policy;
  }

  members(sessionId: string): ReadonlyMap<string, Member> {
    return this.sessions.get(sessionId) ?? new Map();
  }

  isMember(sessionId: string, socketId: string): boolean {
    return this.sessions.get(sessionId)?.has(socketId) ?? false;
  }

  /**
   * Make a socket a member that has accounted for everything up to `lastSeq`. A socket that is gone
   * by now (it disconnected while its join was in flight, or was cut mid-replay) gets a member that
   * is not registered, so nothing keeps the session busy on its behalf.
   */
  addMember(sessionId: string, outbox: Outbox, lastSeq: number, gapReason?: SkippedRange['reason']): Member {
    const member: Member = { sessionId, outbox, lastSeq, gapReason };
    if (outbox.isClosed) return member;
    let members = this.sessions.get(sessionId);
    if (!members) this.sessions.set(sessionId, (members = new Map()));
    members.set(outbox.id, member);
    return member;
  }

  /** Sessions with at least one member. */
  hasMembers(sessionId: string): boolean {
    return (this.sessions.get(sessionId)?.size ?? 0) > 0;
  }

  removeMember(sessionId: string, socketId: string): boolean {
    const members = this.sessions.get(sessionId);
    const removed = members?.delete(socketId) ?? false;
    if (members && members.size === 0) this.sessions.delete(sessionId);
    return removed;
  }

  removeSocket(socketId: string): void {
    for (const sessionId of [...this.sessions.keys()]) this.removeMember(sessionId, socketId);
  }

  /**
   * The session started a new epoch (seq 1 again): its members have accounted for nothing of it
   * yet, and no gap of the old epoch carries over.
   */
  restartSession(sessionId: string): void {
    for (const member of this.sessions.get(sessionId)?.values() ?? []) {
      member.lastSeq = 0;
      member.gapReason = undefined;
    }
  }

  /** Every session a socket is joined to. */
  sessionsOf(socketId: string): string[] {
    const out: string[] = [];
    for (const [sessionId, members] of this.sessions) if (members.has(socketId)) out.push(sessionId);
    return out;
  }

  /** Fan appended entries out to the session's members (called in the session's serial order). */
  deliver(sessionId: string, epoch: string, entries: readonly LogEntry[]): void {
    const members = this.sessions.get(sessionId);
    if (!members || members.size === 0) return;
    for (const entry of entries) {
      const frame: EventFrame = { sessionId, epoch, seq: entry.seq, event: entry.event };
      const event = entry.event;
      // Measured once for every member: the bound of each socket's pending output counts it.
      const bytes = estimateFrameBytes(frame, estimateEventBytes(event));
      for (const member of members.values()) {
        // Already accounted for (a member that joined at a head past this entry): nothing to send or count.
        if (entry.seq <= member.lastSeq) continue;
        if (event.type === 'tool' && !this.options.isRunScoped(event.runId, member.outbox.id)) {
          this.mirror(member, frame as ToolFrame, event, bytes);
        } else {
          this.send(member, 'session.event', frame, bytes);
        }
      }
    }
  }

  /**
   * Send frames outside the live path (a join's replay) through the same seq tracking, so compacted
   * holes are announced exactly like suppressed mirrors.
   */
  send(member: Member, channel: FrameChannel, frame: EventFrame | ToolFrame, bytes?: number): void {
    if (frame.seq <= member.lastSeq) return;
    const out = this.withSkipped(member, frame);
    member.outbox.frame(channel, member.sessionId, out, out === frame && bytes !== undefined ? bytes : estimateFrameBytes(out));
    member.lastSeq = frame.seq;
    member.gapReason = undefined;
    this.counters.framesDelivered += 1;
  }

  /** Account for seqs a member will not receive (so its next frame announces them). */
  skip(member: Member, upToSeq: number, reason: SkippedRange['reason']): void {
    if (upToSeq <= member.lastSeq) return;
    member.gapReason ??= reason;
  }

  private mirror(member: Member, frame: ToolFrame, event: ToolEvent, bytes: number): void {
    const terminal = isTerminalToolPhase(event.phase);
    const decision = this.mirrorPolicy({
      sessionId: member.sessionId,
      socketId: member.outbox.id,
      event,
      seq: frame.seq,
      terminal,
      pendingBytes: () => member.outbox.pendingBytes(),
      pendingFrames: member.outbox.pendingFrames,
    });
    if (decision === 'suppress') {
      this.counters.mirrorsSuppressed += 1;
      this.skip(member, frame.seq, 'suppressed');
      return;
    }
    this.counters.mirrorsDelivered += 1;
    this.send(member, 'session.tool', frame, bytes);
  }

  private withSkipped<F extends EventFrame | ToolFrame>(member: Member, frame: F): F {
    // Only a gap with a known, deliberate reason is announced; anything else would be real loss,
    // and hiding it behind a made-up announcement would defeat the client's gap detection.
    if (frame.seq <= member.lastSeq + 1 || member.gapReason === undefined) return frame;
    return { ...frame, skipped: { fromSeq: member.lastSeq + 1, toSeq: frame.seq - 1, reason: member.gapReason } };
  }
}
