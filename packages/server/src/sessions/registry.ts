import { EventEmitter } from 'node:events';
import { isTerminalSessionStatus, type SessionEvent, type SessionRow, type SessionsChanged } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { LogEntry, LogHead, SessionLogStore } from '../log/index.js';
import type { LaneGate } from '../runs/lane.js';
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

/**
 * How appended events reach a session's view and sockets when gateways share sessions: the feed
 * follows the shared log, so events appended by any gateway arrive here in seq order. Without one,
 * this gateway's appends are applied and delivered at once (one process, one log).
 */
export interface SessionFeed {
  /** The session was loaded here: follow its log from now on (called before anyone can join it). */
  follow(session: Session): Promise<void>;
  /** This gateway appended `entries` (inside the session's serial queue): apply and deliver them in order. */
  appended(session: Session, entries: readonly LogEntry[]): Promise<void>;
}

/** Where session rows live when gateways share them; without one, rows live in this process. */
export interface RowStore {
  /** The stored row of a session and when the session was created, if it exists anywhere. */
  load(sessionId: string): Promise<{ row: SessionRow; createdAt: number } | undefined>;
  /** A row changed here (broadcast or not): store it. Called synchronously, in change order. */
  save(session: Session): void;
  /** Rows for sessions.list, most recently updated first. */
  list(limit: number, visible: (sessionId: string) => Promise<boolean>): Promise<SessionRow[]>;
}

export interface SessionRegistryOptions {
  store: SessionLogStore;
  /** Follows logs shared with other gateways (default: none, appends are delivered at once). */
  feed?: SessionFeed;
  /** Rows shared with other gateways (default: in this process). */
  rows?: RowStore;
  /** Admits lane turns across gateways (default: none, the lane alone decides). */
  laneGate?: (sessionId: string) => LaneGate;
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
        const stored = await this.options.rows?.load(sessionId);
        const session = new Session(
          sessionId,
          log,
          head.epoch,
          {
            idle: () => this.events.emit('laneIdle', sessionId),
            failed: (turn, error) => this.options.logger.error({ err: error, sessionId, turnId: turn.id }, 'lane turn failed'),
          },
          stored?.createdAt ?? this.now(),
          { maxConversationBytes: this.options.maxConversationBytes, laneGate: this.options.laneGate?.(sessionId) },
        );
        if (stored) session.row = stored.row;
        await this.options.feed?.follow(session);
        this.sessions.set(sessionId, session);
        this.creating.delete(sessionId);
        // A session another gateway created is loaded here, not created again.
        if (!stored) {
          this.options.rows?.save(session);
          this.options.rowChanged({ sessionId, reason: 'created', row: { ...session.row } });
        }
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
    if (this.options.feed) {
      await this.options.feed.appended(session, entries);
    } else {
      session.view.apply(entries);
      this.options.deliver(session, entries);
    }
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
    this.options.rows?.save(session);
    if (broadcast) this.broadcastRow(session, reason);
    return row;
  }

  broadcastRow(session: Session, reason: RowChangeReason): void {
    this.options.rowChanged({ sessionId: session.id, reason, row: { ...session.row } });
  }

  /**
   * A session this gateway holds, or one another gateway sharing the rows created (loaded here);
   * undefined when it exists nowhere. Never creates a session.
   */
  async find(sessionId: string): Promise<Session | undefined> {
    const held = this.sessions.get(sessionId);
    if (held || !this.options.rows) return held;
    return (await this.options.rows.load(sessionId)) ? this.getOrCreate(sessionId) : undefined;
  }

  /** Rows for sessions.list: every session of the gateway (of all gateways sharing the rows), most recent first. */
  async list(limit: number, visible: (sessionId: string) => Promise<boolean>): Promise<SessionRow[]> {
    if (this.options.rows) return this.options.rows.list(limit, visible);
    const allowed = new Set<string>();
    for (const session of this.sessions.values()) if (await visible(session.id)) allowed.add(session.id);
    return this.rows(limit, (id) => allowed.has(id));
  }

  /** Rows, most recently updated first. */
  rows(limit: number, filter?: (sessionId: string) => boolean): SessionRow[] {
    const rows: SessionRow[] = [];
    for (const session of this.sessions.values()) if (!filter || filter(session.id)) rows.push({ ...session.row });
    rows.sort((a, b) => b.updatedAt - a.updatedAt || b.revision - a.revision || a.sessionId.localeCompare(b.sessionId));
    return rows.slice(0, limit);
  }
}
