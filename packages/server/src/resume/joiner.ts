import type { Joined } from '@agent-gateway/schema';
import type { Fanout, Outbox } from '../delivery/index.js';
import type { LogHead } from '../log/index.js';
import type { Session } from '../sessions/index.js';
import { decideResume, type ResumeRequest, type ResumeRule } from './decide.js';
import { buildSnapshot, type QueuedRunInfo } from './snapshot.js';

export interface JoinerOptions {
  fanout: Fanout;
  /** The session's run waiting in its lane, if any (a snapshot shows it as the active run). */
  queuedRunOf(sessionId: string): QueuedRunInfo | undefined;
  /** JSON size a snapshot stays within. */
  maxSnapshotBytes: number;
  rule?: ResumeRule;
  /**
   * Gateways sharing sessions: bring the session's view and members up to `head` (events appended
   * on other gateways that have not arrived here yet) before the join is answered from it.
   */
  catchUp?(session: Session, head: LogHead): Promise<void>;
}

/** Who joins: the socket's outbox and the protocol version it negotiated. */
export interface Joining {
  outbox: Outbox;
  protocolVersion: string;
  /** Fix the position of the join's acknowledgement in the socket's outbound order, right now. */
  reserveAnswer(): void;
}

/**
 * The join handshake, the protocol's central invariant in one place (R2.3-R2.5): decide between
 * replay and snapshot, emit `joined`, then the replay frames (announcing compacted holes) or the one
 * snapshot, then reserve the acknowledgement and make the socket a member from the head. All of it
 * runs inside the session's serial queue, where no event can be appended, so replay and live frames
 * meet at exactly the head: no gap, no duplicate, no reordering.
 */
export class Joiner {
  /** Joins answered with a gapless replay, and with a snapshot (monotonic). */
  readonly counters = { replays: 0, resyncs: 0 };
  private readonly rule: ResumeRule;

  constructor(private readonly options: JoinerOptions) {
    this.rule = options.rule ?? decideResume;
  }

  join(session: Session, joining: Joining, request: ResumeRequest): Promise<Joined> {
    const { fanout } = this.options;
    const { outbox } = joining;
    return session.serial.run(async () => {
      const head = await session.log.head();
      await this.options.catchUp?.(session, head);
      const decision = this.rule(request, head);
      // Everything the answer needs is read before anything is sent: a store failing half-way
      // answers the join with an error, never with a partial replay.
      const entries = decision.kind === 'replay' ? await session.log.read(decision.fromCursor, head.cursor) : undefined;
      const snapshot =
        decision.kind === 'snapshot' ? await buildSnapshot(session, this.options.queuedRunOf(session.id), this.options.maxSnapshotBytes, head) : undefined;
      const joined: Joined = {
        sessionId: session.id,
        epoch: head.epoch,
        cursor: head.cursor,
        oldestCursor: head.oldestCursor,
        resyncRequired: decision.resyncRequired,
        ...(decision.kind === 'snapshot' ? { reason: decision.reason } : {}),
        protocolVersion: joining.protocolVersion,
      };
      fanout.removeMember(session.id, outbox.id);
      outbox.emit('joined', joined);
      if (decision.kind === 'replay') {
        this.counters.replays += 1;
        const member = fanout.addMember(session.id, outbox, decision.fromCursor);
        for (const entry of entries!) {
          // Seqs missing from a read inside the window were compacted: announce them on this frame.
          fanout.skip(member, entry.seq - 1, 'compacted');
          fanout.send(member, 'replay', { sessionId: session.id, epoch: head.epoch, seq: entry.seq, event: entry.event });
        }
        // Compacted seqs at the very end are announced on the next live frame.
        fanout.skip(member, head.cursor, 'compacted');
      } else {
        this.counters.resyncs += 1;
        outbox.emit('snapshot', snapshot!);
        fanout.addMember(session.id, outbox, head.cursor);
      }
      joining.reserveAnswer();
      return joined;
    });
  }
}
