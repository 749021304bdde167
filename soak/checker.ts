/*
 * The invariant checker of the soak run, in the manner of Jepsen's queue checkers: it is fed what
 * every client observed on the wire, in the order it arrived, and counts what happened and every
 * violation by kind, rather than stopping at the first. Per connection it holds the join protocol
 * of PROTOCOL.md (joined, then replay or one snapshot, then the acknowledgement, then live frames),
 * the seq accounting of every membership (gapless, duplicate-free, a frame's `skipped` range counts
 * as seen) and the resume decision of R2.4. Across connections of one client it holds the client's
 * position, so a resume never skips or repeats what the client saw. Run-level invariants (one run per
 * acknowledged key, tool calls closed, hasActiveRun, replies) are in ./run-checks.ts.
 */
import type { EventFrame, Joined, SessionRow, Snapshot, ToolFrame } from '@agent-gateway/schema';
import { Counter } from './counter.js';
import type { RunChecks } from './run-checks.js';

/** A socket.io packet as the client's Manager decoded it. */
export interface WirePacket {
  type: number;
  data?: unknown;
  id?: number;
}

const EVENT = 2;
const ACK = 3;
const CONNECT = 0;

/** Why a client joined with the cursor it sent: deliberate wrong cursors are not client bugs. */
export type JoinIntent = 'resume' | 'fresh' | 'stale' | 'future' | 'wrong-epoch' | 'typed';

interface PendingJoin {
  sessionId: string;
  since: number | undefined;
  epoch: string | undefined;
  intent: JoinIntent;
}

/** One membership of a connection in a session: from its `joined` on. */
interface Membership {
  joined: Joined;
  intent: JoinIntent;
  phase: 'joining' | 'live';
  epoch: string;
  /** Last seq accounted for (sent or announced as skipped); undefined until a snapshot sets it. */
  lastSeq: number | undefined;
  expectSnapshot: boolean;
  snapshotSeen: boolean;
}

/** Where one client stands in one session across all its connections. */
interface Position {
  epoch: string;
  seq: number;
}

export class Checker {
  readonly counts = new Counter();
  readonly violations = new Counter();
  /** The first few examples of each violation, for the report. */
  readonly examples = new Map<string, string[]>();
  readonly resyncs = new Counter();
  readonly skipped = new Counter();

  constructor(readonly runs: RunChecks) {}

  violation(kind: string, detail: string): void {
    this.violations.add(kind);
    const list = this.examples.get(kind) ?? [];
    if (list.length < 5) list.push(detail);
    this.examples.set(kind, list);
  }

  client(name: string): ClientObserver {
    this.counts.add('clients');
    return new ClientObserver(this, name);
  }
}

/** Everything one client (typed or raw) observed, across its connections. */
export class ClientObserver {
  private connection = 0;
  private pendingJoins: PendingJoin[] = [];
  private memberships = new Map<string, Membership>();
  private leaving = new Set<string>();
  readonly positions = new Map<string, Position>();
  /** Terminal runs seen per session on this connection (sessions.changed run.end), with that row's revision. */
  private endedRuns = new Map<string, Map<string, number>>();

  constructor(
    private readonly checker: Checker,
    readonly name: string,
  ) {}

  private violation(kind: string, detail: string): void {
    this.checker.violation(kind, `${this.name}#${this.connection}: ${detail}`);
  }

  /** A request the client sent (socket.onAnyOutgoing), on the connection it went out on. */
  outgoing(event: string, params: unknown, intent: JoinIntent = 'typed'): void {
    if (event === 'join') {
      const p = params as { sessionId: string; since?: number; epoch?: string };
      const position = this.positions.get(p.sessionId);
      // A client may only resume from what it has seen; deliberate wrong cursors are announced.
      if (intent === 'typed' || intent === 'resume') {
        if (p.since !== undefined && position && p.epoch === position.epoch && p.since > position.seq) {
          this.violation('cursor-beyond-seen', `join ${p.sessionId} since ${p.since} but saw up to ${position.seq}`);
        }
      }
      this.pendingJoins.push({ sessionId: p.sessionId, since: p.since, epoch: p.epoch, intent });
      this.checker.counts.add('joins sent');
    } else if (event === 'leave') {
      this.leaving.add((params as { sessionId: string }).sessionId);
    }
  }

  /** Every packet the client's Manager decoded, in arrival order. */
  incoming(packet: WirePacket): void {
    if (packet.type === CONNECT) {
      this.connection += 1;
      this.pendingJoins = [];
      this.memberships.clear();
      this.leaving.clear();
      this.endedRuns.clear();
      this.checker.counts.add('connections');
      return;
    }
    if (packet.type === ACK) return this.ack(Array.isArray(packet.data) ? packet.data[0] : undefined);
    if (packet.type !== EVENT || !Array.isArray(packet.data)) return;
    const [event, payload] = packet.data as [string, unknown];
    switch (event) {
      case 'joined':
        return this.joined(payload as Joined);
      case 'replay':
        return this.frames(payload as EventFrame[], 'replay');
      case 'snapshot':
        return this.snapshot(payload as Snapshot);
      case 'session.event':
        return this.frames(payload as EventFrame[], 'live');
      case 'session.tool':
        return this.frames(payload as ToolFrame[], 'mirror');
      case 'sessions.changed': {
        const change = payload as { sessionId: string; reason: string; row: SessionRow };
        return this.row(change.row, change.reason === 'run.end' ? 'terminal' : 'changed', change.reason);
      }
      default:
        return;
    }
  }

  private joined(joined: Joined): void {
    const index = this.pendingJoins.findIndex((p) => p.sessionId === joined.sessionId);
    if (index < 0) return this.violation('joined-without-join', `joined ${joined.sessionId} that was not asked for`);
    const [join] = this.pendingJoins.splice(index, 1) as [PendingJoin];
    const previous = this.memberships.get(joined.sessionId);
    if (previous?.phase === 'joining') this.violation('join-overlap', `joined ${joined.sessionId} before the previous join was answered`);
    // R2.4: replay iff the epoch matches and oldestCursor - 1 <= since <= cursor.
    const { since } = join;
    const epochMatches = join.epoch === undefined ? since === 0 : join.epoch === joined.epoch;
    const replayable = since !== undefined && epochMatches && joined.oldestCursor - 1 <= since && since <= joined.cursor;
    if (joined.resyncRequired === replayable) {
      this.violation('resume-decision', `${joined.sessionId} since ${since} epoch ${join.epoch} vs ${JSON.stringify(joined)}`);
    }
    if (joined.resyncRequired) {
      const expected = since === undefined ? 'fresh-join' : !epochMatches ? 'epoch-mismatch' : since > joined.cursor ? 'since-ahead' : 'since-too-old';
      if (joined.reason !== expected) this.violation('resync-reason', `${joined.sessionId}: ${joined.reason} where ${expected} applies`);
      this.checker.resyncs.add(joined.reason ?? 'none');
    } else {
      this.checker.counts.add(join.intent === 'stale' ? 'replays from a stale cursor' : 'resumes by replay');
    }
    this.checker.counts.add(`joins with ${join.intent} cursor`);
    this.memberships.set(joined.sessionId, {
      joined,
      intent: join.intent,
      phase: 'joining',
      epoch: joined.epoch,
      lastSeq: joined.resyncRequired ? undefined : since,
      expectSnapshot: joined.resyncRequired,
      snapshotSeen: false,
    });
    this.leaving.delete(joined.sessionId);
  }

  private snapshot(snapshot: Snapshot): void {
    const m = this.memberships.get(snapshot.sessionId);
    if (!m || m.phase !== 'joining' || !m.expectSnapshot || m.snapshotSeen) {
      return this.violation('unexpected-snapshot', `snapshot of ${snapshot.sessionId} outside a resync join`);
    }
    if (snapshot.eventCursor !== m.joined.cursor || snapshot.epoch !== m.joined.epoch) {
      this.violation(
        'snapshot-cursor',
        `${snapshot.sessionId}: snapshot at ${snapshot.epoch}/${snapshot.eventCursor}, joined at ${m.joined.epoch}/${m.joined.cursor}`,
      );
    }
    m.snapshotSeen = true;
    m.lastSeq = snapshot.eventCursor;
    this.checker.counts.add('snapshots');
    this.advance(snapshot.sessionId, snapshot.epoch, snapshot.eventCursor);
    this.checker.runs.snapshot(this.name, snapshot);
  }

  private ack(result: unknown): void {
    if (typeof result !== 'object' || result === null) return;
    const answer = result as { ok: boolean; data?: Record<string, unknown> };
    const data = answer.data;
    if (!answer.ok || !data) return;
    if (typeof data.resyncRequired === 'boolean' && typeof data.oldestCursor === 'number') {
      // The join answer: from here on the membership is live. Switched here, in packet order.
      const joined = data as unknown as Joined;
      const m = this.memberships.get(joined.sessionId);
      if (!m || m.phase !== 'joining' || m.joined.cursor !== joined.cursor || m.joined.epoch !== joined.epoch) {
        return this.violation('ack-without-joined', `join answer for ${joined.sessionId} at ${joined.cursor} without its joined`);
      }
      if (m.expectSnapshot && !m.snapshotSeen) this.violation('missing-snapshot', `${joined.sessionId}: resync answered without a snapshot`);
      m.phase = 'live';
    } else if (Array.isArray(data.sessions)) {
      for (const row of data.sessions as SessionRow[]) this.row(row, 'listed');
    }
  }

  private frames(batch: Array<EventFrame | ToolFrame>, source: 'replay' | 'live' | 'mirror'): void {
    if (!Array.isArray(batch) || batch.length === 0) return this.violation('empty-batch', `${source} batch without frames`);
    const sessionId = batch[0]!.sessionId;
    const m = this.memberships.get(sessionId);
    if (!m) {
      if (!this.leaving.has(sessionId)) this.violation('frame-without-membership', `${source} frame of ${sessionId} never joined here`);
      return;
    }
    if (source === 'replay' && (m.phase !== 'joining' || m.expectSnapshot)) {
      return this.violation('replay-outside-join', `${sessionId}: replay ${m.phase === 'live' ? 'after the join answer' : 'with a snapshot join'}`);
    }
    if (source !== 'replay' && m.phase === 'joining') {
      this.violation('live-before-answer', `${sessionId}: live seq ${batch[0]!.seq} before the join answer`);
    }
    for (const frame of batch) {
      this.checker.counts.add(`frames (${source})`);
      if (frame.sessionId !== sessionId) this.violation('mixed-batch', `batch of ${sessionId} holds ${frame.sessionId}`);
      if (source === 'mirror' && frame.event.type !== 'tool') this.violation('mirror-not-tool', `${sessionId}: session.tool carried ${frame.event.type}`);
      if (frame.epoch !== m.epoch) {
        if (source === 'replay') {
          this.violation('replay-epoch', `${sessionId}: replay of epoch ${frame.epoch} in a join of ${m.epoch}`);
          continue;
        }
        // The log was recreated under a new epoch while joined: its frames start again at seq 1.
        this.checker.resyncs.add('epoch changed while live');
        m.epoch = frame.epoch;
        m.lastSeq = 0;
      }
      if (m.lastSeq === undefined) {
        this.violation('frame-before-snapshot', `${sessionId}: seq ${frame.seq} before the snapshot`);
        continue;
      }
      if (frame.seq <= m.lastSeq) {
        this.violation('duplicate', `${sessionId}: seq ${frame.seq} after ${m.lastSeq} (${source})`);
        continue;
      }
      if (frame.seq !== m.lastSeq + 1) {
        const s = frame.skipped;
        if (!s || s.toSeq !== frame.seq - 1 || s.fromSeq > m.lastSeq + 1) {
          this.violation('gap', `${sessionId}: seq ${frame.seq} after ${m.lastSeq} (${source}) skipped=${JSON.stringify(s)}`);
        } else {
          if (s.fromSeq < m.lastSeq + 1) this.checker.counts.add('skipped ranges overlapping seen seqs');
          this.checker.skipped.add(s.reason, frame.seq - m.lastSeq - 1);
        }
      }
      if (source === 'replay' && frame.seq > m.joined.cursor)
        this.violation('replay-beyond-cursor', `${sessionId}: replay seq ${frame.seq} > cursor ${m.joined.cursor}`);
      m.lastSeq = frame.seq;
      this.advance(sessionId, frame.epoch, frame.seq);
      this.checker.runs.frame(this.name, frame);
    }
  }

  /**
   * The furthest this client has seen of a session, over all its connections: a join may resume from
   * anything up to it (asking again for what it saw is its choice), never from beyond it.
   */
  private advance(sessionId: string, epoch: string, seq: number): void {
    const position = this.positions.get(sessionId);
    if (!position || position.epoch !== epoch || seq > position.seq) this.positions.set(sessionId, { epoch, seq });
  }

  /**
   * R4.2: once a run's terminal row arrived, no row may show that run active again. A row carries a
   * revision and a client keeps the highest it saw, so an older row arriving late (several gateway
   * nodes publish row changes; publication order need not be revision order) is not applied by a
   * correct client: it is counted, and only a row at or above the terminal row's revision that shows
   * the run active is a violation.
   */
  private row(row: SessionRow, kind: 'terminal' | 'changed' | 'listed', reason: string = kind): void {
    if (row.hasActiveRun && (row.status === 'completed' || row.status === 'aborted' || row.status === 'failed')) {
      this.violation('terminal-row-active', `${row.sessionId}: ${row.status} row with hasActiveRun`);
    }
    const ended = this.endedRuns.get(row.sessionId) ?? new Map<string, number>();
    const endedAt = row.hasActiveRun && row.activeRunId ? ended.get(row.activeRunId) : undefined;
    if (endedAt !== undefined) {
      if (row.revision >= endedAt) {
        this.violation(
          'revived-active-run',
          `${row.sessionId}: ${kind} row (${reason}, revision ${row.revision}) shows ${row.activeRunId} active after its run.end (revision ${endedAt})`,
        );
      } else this.checker.counts.add('older rows (lower revision) showing an ended run active, after its run.end row');
    }
    if (kind === 'terminal' && row.lastRunId) {
      if (row.activeRunId === row.lastRunId) this.violation('terminal-row-active', `${row.sessionId}: run.end row still names ${row.lastRunId} active`);
      ended.set(row.lastRunId, Math.max(row.revision, ended.get(row.lastRunId) ?? 0));
      this.endedRuns.set(row.sessionId, ended);
      this.checker.counts.add('terminal sessions.changed');
    }
    if (kind === 'listed') this.checker.counts.add('sessions.list rows checked');
  }

  /** Seq of the last event this client holds of a session (for convergence at the end). */
  position(sessionId: string): Position | undefined {
    return this.positions.get(sessionId);
  }
}
