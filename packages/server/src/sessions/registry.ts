import type { SessionEvent, SessionRow, SessionsChanged, Snapshot } from '@agent-gateway/schema';
import { Lane, type LaneEvents } from './lane.js';
import { SerialQueue } from './serial.js';
import type { LogEntry, LogHead, SessionLog, SessionLogStore } from './session-log.js';
import { SessionView } from './session-view.js';

/** Snapshots carry at most this many retained events (the schema's bound). */
const MAX_SNAPSHOT_EVENTS = 100_000;

export type RowChangeReason = SessionsChanged['reason'];

/** Everything the gateway keeps for one session. */
export class Session {
  /** Appends, joins and recreation of this session run one at a time through this queue. */
  readonly serial = new SerialQueue();
  readonly view = new SessionView();
  readonly lane: Lane;
  row: SessionRow;
  readonly createdAt: number;

  constructor(
    readonly id: string,
    public log: SessionLog,
    public epoch: string,
    laneEvents: LaneEvents,
    now: number,
  ) {
    this.lane = new Lane(id, laneEvents);
    this.createdAt = now;
    this.row = { sessionId: id, status: 'idle', hasActiveRun: false, activeRunId: null, lastRunId: null, updatedAt: now, revision: 0 };
  }
}

export interface SessionRegistryOptions {
  store: SessionLogStore;
  /** Fan appended entries out to the session's sockets; called in the session's serial order. */
  deliver(session: Session, entries: readonly LogEntry[]): void;
  /** A row changed: broadcast sessions.changed. */
  rowChanged(change: SessionsChanged): void;
  /** A session was recreated under a new epoch; runs inside its serial queue. */
  recreated?(session: Session): void;
  laneEvents?(sessionId: string): LaneEvents;
  now?: () => number;
}

/**
 * The sessions of this gateway: their logs, lanes, conversation view and list rows. A session
 * exists from its first join, chat.send or control append.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly creating = new Map<string, Promise<Session>>();
  private readonly now: () => number;

  constructor(private readonly options: SessionRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  get(sessionId: string): Session | undefined {
    return this.sessions.get(sessionId);
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Concurrent callers for a new id share one creation, so a session never gets two epochs. */
  async getOrCreate(sessionId: string): Promise<Session> {
    const existing = this.sessions.get(sessionId);
    if (existing) return existing;
    let pending = this.creating.get(sessionId);
    if (!pending) {
      pending = (async () => {
        const log = await this.options.store.create(sessionId);
        const head = await log.head();
        const session = new Session(sessionId, log, head.epoch, this.options.laneEvents?.(sessionId) ?? {}, this.now());
        this.sessions.set(sessionId, session);
        this.creating.delete(sessionId);
        this.options.rowChanged({ sessionId, reason: 'created', row: { ...session.row } });
        return session;
      })();
      pending.catch(() => this.creating.delete(sessionId));
      this.creating.set(sessionId, pending);
    }
    return pending;
  }

  /** Append events in the session's serial order, update the view and fan them out. */
  append(session: Session, events: readonly SessionEvent[]): Promise<LogEntry[]> {
    return session.serial.run(() => this.appendNow(session, events));
  }

  /** Append from code already running inside the session's serial queue. */
  async appendNow(session: Session, events: readonly SessionEvent[]): Promise<LogEntry[]> {
    const entries = await session.log.append(events);
    session.view.apply(entries);
    this.options.deliver(session, entries);
    return entries;
  }

  /** Start a new epoch: a fresh log, an empty view. Joined sockets see the epoch change. */
  recreate(session: Session): Promise<LogHead> {
    return session.serial.run(async () => {
      const log = await this.options.store.create(session.id);
      const head = await log.head();
      session.log = log;
      session.epoch = head.epoch;
      session.view.reset();
      this.options.recreated?.(session);
      this.updateRow(session, {}, 'recreated');
      return head;
    });
  }

  /**
   * Change a row and bump its revision; broadcast it unless `broadcast` is false (a run end clears
   * the projection first, appends run.end, and only then broadcasts with `broadcastRow`).
   */
  updateRow(session: Session, patch: Partial<Omit<SessionRow, 'sessionId' | 'revision' | 'updatedAt'>>, reason: RowChangeReason, broadcast = true): SessionRow {
    const row: SessionRow = { ...session.row, ...patch, updatedAt: this.now(), revision: session.row.revision + 1 };
    // A terminal row is never active, whatever the patch said.
    if (row.status === 'completed' || row.status === 'aborted' || row.status === 'failed') {
      row.hasActiveRun = false;
      row.activeRunId = null;
    }
    session.row = row;
    if (broadcast) this.broadcastRow(session, reason);
    return row;
  }

  broadcastRow(session: Session, reason: RowChangeReason): void {
    this.options.rowChanged({ sessionId: session.id, reason, row: { ...session.row } });
  }

  /** Rows, most recently updated first. */
  rows(limit: number, filter?: (sessionId: string) => boolean): SessionRow[] {
    const rows: SessionRow[] = [];
    for (const session of this.sessions.values()) if (!filter || filter(session.id)) rows.push({ ...session.row });
    rows.sort((a, b) => b.updatedAt - a.updatedAt || b.revision - a.revision || a.sessionId.localeCompare(b.sessionId));
    return rows.slice(0, limit);
  }

  /** A consistent snapshot; call inside the session's serial queue. */
  async snapshot(session: Session, queuedRun?: { runId: string; trigger: 'chat' | 'heartbeat'; createdAt: number }): Promise<Snapshot> {
    const head = await session.log.head();
    const durable = await session.log.durable();
    const events = durable.length > MAX_SNAPSHOT_EVENTS ? durable.slice(durable.length - MAX_SNAPSHOT_EVENTS) : durable;
    return {
      sessionId: session.id,
      epoch: head.epoch,
      eventCursor: head.cursor,
      oldestCursor: head.oldestCursor,
      state: { status: session.row.status, hasActiveRun: session.row.hasActiveRun, createdAt: session.createdAt, updatedAt: session.row.updatedAt },
      messages: session.view.messages.map((m) => ({ ...m })),
      activeRun: session.view.snapshotActiveRun(queuedRun),
      events,
    };
  }
}
