import { EventEmitter } from 'node:events';
import { isTerminalSessionStatus, type SessionEvent, type SessionRow, type SessionsChanged } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { LogEntry, LogHead, SessionLogStore } from '../log/index.js';
import { Session } from './session.js';

export type RowChangeReason = SessionsChanged['reason'];

export type RowPatch = Partial<Omit<SessionRow, 'sessionId' | 'revision' | 'updatedAt'>>;

/** What the registry tells the rest of the gateway. */
export interface SessionRegistryEvents {
  /** A session was created (first join, chat.send or control command naming it). */
  created: [sessionId: string];
  /** A session's lane has nothing running or queued any more. */
  laneIdle: [sessionId: string];
}

export interface SessionRegistryOptions {
  store: SessionLogStore;
  logger: Logger;
  /** Fan appended entries out to the session's sockets; called in the session's serial order. */
  deliver(session: Session, entries: readonly LogEntry[]): void;
  /** A session got a new epoch: its sockets account from seq 0 again. Runs inside its serial queue. */
  epochChanged(session: Session): void;
  /** A row changed: broadcast sessions.changed. */
  rowChanged(change: SessionsChanged): void;
  /** Bound of each session's conversation view (JSON bytes). */
  maxConversationBytes?: number;
  now?: () => number;
}

/**
 * The sessions this gateway holds: their logs, lanes, conversation views and list rows. A session
 * exists from its first join, chat.send or control command.
 */
export class SessionRegistry {
  readonly events = new EventEmitter<SessionRegistryEvents>();
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
        const log = await this.options.store.open(sessionId);
        const head = await log.head();
        const session = new Session(
          sessionId,
          log,
          head.epoch,
          {
            idle: () => this.events.emit('laneIdle', sessionId),
            failed: (turn, error) => this.options.logger.error({ err: error, sessionId, turnId: turn.id }, 'lane turn failed'),
          },
          this.now(),
          this.options.maxConversationBytes,
        );
        this.sessions.set(sessionId, session);
        this.creating.delete(sessionId);
        this.options.rowChanged({ sessionId, reason: 'created', row: { ...session.row } });
        this.events.emit('created', sessionId);
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
      const log = await this.options.store.recreate(session.id);
      const head = await log.head();
      session.log = log;
      session.epoch = head.epoch;
      session.view.reset();
      this.options.epochChanged(session);
      this.updateRow(session, {}, 'recreated');
      return head;
    });
  }

  /**
   * Change a row and bump its revision; broadcast it unless `broadcast` is false (a run end clears
   * the projection first, appends run.end, and only then broadcasts with `broadcastRow`).
   */
  updateRow(session: Session, patch: RowPatch, reason: RowChangeReason, broadcast = true): SessionRow {
    const row: SessionRow = { ...session.row, ...patch, updatedAt: this.now(), revision: session.row.revision + 1 };
    // A terminal row is never active, whatever the patch said.
    if (isTerminalSessionStatus(row.status)) {
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
}
