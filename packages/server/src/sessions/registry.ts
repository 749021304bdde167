import { EventEmitter } from 'node:events';
import { isTerminalSessionStatus, type SessionEvent, type SessionRow, type SessionsChanged } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { LogEntry, LogHead, SessionLogStore } from '../log/index.js';
import type { LaneGate } from '../runs/lane.js';
import { LimitExceededError, limitExceeded, type SessionLimits } from './limits.js';
import { comparePositions, positionOf, type ListPosition } from './list-cursor.js';
import { Session } from './session.js';

export type RowChangeReason = SessionsChanged['reason'];

export type RowPatch = Partial<Omit<SessionRow, 'sessionId' | 'revision' | 'updatedAt'>>;

/**
 * One change of a row, as a store applies it to the row it holds (which may be ahead of this
 * gateway's copy): `patch` always, `whenIdle` first and only when the row shows no active run.
 */
export interface RowChange {
  patch: RowPatch & { updatedAt?: number };
  whenIdle?: RowPatch;
}

/** What the registry tells the rest of the gateway. */
export interface SessionRegistryEvents {
  /** A session was created (first join, chat.send or control command naming it). */
  created: [sessionId: string];
  /** A session's lane has nothing running or queued any more. */
  laneIdle: [sessionId: string];
  /** The gateway no longer holds the session (idle unload); its row was announced with reason unloaded. */
  unloaded: [sessionId: string];
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
  /**
   * A row changed here (broadcast or not): apply the change to the stored row (the session's row is
   * the base when none is stored yet) and bring the session's copy up to what was stored. Called
   * synchronously, in change order.
   */
  save(session: Session, change: RowChange): void;
  /** One page of rows for sessions.list, most recently updated first, after `after` (see SessionRegistry.page). */
  list(limit: number, after: ListPosition | undefined, visible: (sessionId: string) => Promise<boolean>): Promise<RowPage>;
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
  limits?: SessionLimits;
  now?: () => number;
}

/** One page of rows and where the next one starts. */
export interface RowPage {
  rows: SessionRow[];
  next: ListPosition | undefined;
}

/**
 * The sessions this gateway holds: their logs, lanes, conversation views and list rows. A session
 * exists from its first join, chat.send or control command.
 */
export class SessionRegistry {
  readonly events = new EventEmitter<SessionRegistryEvents>();
  private readonly sessions = new Map<string, Session>();
  private readonly creating = new Map<string, Promise<Session>>();
  /** Sessions created by each principal's requests that the gateway holds or is creating. */
  private readonly createdBy = new Map<string, number>();
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

  /**
   * The session, created (loaded from the store) when the gateway does not hold it. Concurrent
   * callers for a new id share one creation, so a session never gets two epochs. A creation on
   * behalf of `creator` (a principal id) counts against its limit; past a limit this throws
   * LimitExceededError and creates nothing. Fetching a session counts as activity.
   */
  async getOrCreate(sessionId: string, creator?: string): Promise<Session> {
    const existing = this.sessions.get(sessionId);
    if (existing) {
      existing.lastActiveAt = this.now();
      return existing;
    }
    let pending = this.creating.get(sessionId);
    if (!pending) {
      this.checkLimits(creator);
      if (creator !== undefined) this.createdBy.set(creator, (this.createdBy.get(creator) ?? 0) + 1);
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
          { maxConversationBytes: this.options.maxConversationBytes, laneGate: this.options.laneGate?.(sessionId), createdBy: creator },
        );
        if (stored) session.row = stored.row;
        session.lastActiveAt = this.now();
        await this.options.feed?.follow(session);
        this.sessions.set(sessionId, session);
        this.creating.delete(sessionId);
        // A session another gateway created is loaded here, not created again.
        if (!stored) {
          this.options.rows?.save(session, { patch: {} });
          this.options.rowChanged({ sessionId, reason: 'created', row: { ...session.row } });
        }
        this.events.emit('created', sessionId);
        return session;
      })();
      pending.catch(() => {
        this.creating.delete(sessionId);
        this.uncount(creator);
      });
      this.creating.set(sessionId, pending);
    }
    const session = await pending;
    session.lastActiveAt = this.now();
    return session;
  }

  /** Sessions the gateway holds or is creating for this principal. */
  createdCount(principalId: string): number {
    return this.createdBy.get(principalId) ?? 0;
  }

  private checkLimits(creator: string | undefined): void {
    const limits = this.options.limits;
    if (!limits) return;
    if (this.sessions.size + this.creating.size >= limits.maxSessions) {
      throw new LimitExceededError(
        limitExceeded('sessions', limits.maxSessions, `The gateway holds ${limits.maxSessions} sessions, its limit; try again once idle ones are unloaded.`),
      );
    }
    if (creator !== undefined && this.createdCount(creator) >= limits.maxSessionsPerPrincipal) {
      throw new LimitExceededError(
        limitExceeded(
          'sessionsPerPrincipal',
          limits.maxSessionsPerPrincipal,
          `This principal already has ${limits.maxSessionsPerPrincipal} sessions, its limit; use one of them or wait until idle ones are unloaded.`,
        ),
      );
    }
  }

  private uncount(creator: string | undefined): void {
    if (creator === undefined) return;
    const left = (this.createdBy.get(creator) ?? 1) - 1;
    if (left > 0) this.createdBy.set(creator, left);
    else this.createdBy.delete(creator);
  }

  /**
   * Stop holding a session (idle unload): it leaves the registry at once, its row is announced with
   * reason `unloaded`, and the store releases its log (a durable store keeps it; the in-memory store
   * drops it, so a later join starts a new epoch). The caller has checked it is idle; work queued on
   * it now would find it unloaded.
   */
  unload(session: Session): void {
    if (session.unloaded || this.sessions.get(session.id) !== session) return;
    session.unloaded = true;
    this.sessions.delete(session.id);
    this.uncount(session.createdBy);
    this.options.rowChanged({ sessionId: session.id, reason: 'unloaded', row: { ...session.row } });
    this.events.emit('unloaded', session.id);
    this.options.store
      .release(session.id)
      .catch((error: unknown) => this.options.logger.error({ err: error, sessionId: session.id }, 'releasing a session log failed'));
  }

  /** Append events in the session's serial order, update the view and fan them out. */
  append(session: Session, events: readonly SessionEvent[]): Promise<LogEntry[]> {
    return session.serial.run(() => this.appendNow(session, events));
  }

  /** Append from code already running inside the session's serial queue. */
  async appendNow(session: Session, events: readonly SessionEvent[]): Promise<LogEntry[]> {
    // Heartbeat outcomes alone do not keep a session in use.
    if (events.some((e) => e.type !== 'heartbeat')) session.lastActiveAt = this.now();
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
   * the projection first, appends run.end, and only then broadcasts with `broadcastRow`). `whenIdle`
   * applies only to a row that shows no active run (a run queued behind another leaves it alone).
   * Shared rows are changed where they are stored, so a copy that missed another gateway's change
   * never writes the old state back.
   */
  updateRow(session: Session, patch: RowPatch, reason: RowChangeReason, broadcast = true, whenIdle?: RowPatch): SessionRow {
    const updatedAt = this.now();
    const base = whenIdle && !session.row.hasActiveRun ? { ...session.row, ...whenIdle } : session.row;
    const row: SessionRow = { ...base, ...patch, updatedAt, revision: session.row.revision + 1 };
    // A terminal row is never active, whatever the patch said.
    if (isTerminalSessionStatus(row.status)) {
      row.hasActiveRun = false;
      row.activeRunId = null;
    }
    session.row = row;
    this.options.rows?.save(session, whenIdle ? { patch: { ...patch, updatedAt }, whenIdle } : { patch: { ...patch, updatedAt } });
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
  /** One page of sessions.list: from the shared rows when gateways share sessions, otherwise from the sessions held here. */
  async list(limit: number, after: ListPosition | undefined, visible: (sessionId: string) => Promise<boolean>): Promise<RowPage> {
    if (this.options.rows) return this.options.rows.list(limit, after, visible);
    const allowed = new Set<string>();
    for (const session of [...this.sessions.values()]) if (await visible(session.id)) allowed.add(session.id);
    return this.page(limit, after, (id) => allowed.has(id));
  }

  /** Rows, most recently updated first. */
  rows(limit: number, filter?: (sessionId: string) => boolean): SessionRow[] {
    return this.page(limit, undefined, filter).rows;
  }

  /**
   * One page of rows, most recently updated first, starting after `after` (the position of the last
   * row of the previous page). A row updated while a client pages moves to the front: the pages may
   * miss it, which is why a client that follows the list subscribes before it lists.
   */
  page(limit: number, after: ListPosition | undefined, filter?: (sessionId: string) => boolean): RowPage {
    const rows: SessionRow[] = [];
    for (const session of this.sessions.values()) {
      if (filter && !filter(session.id)) continue;
      if (after && comparePositions(positionOf(session.row), after) <= 0) continue;
      rows.push({ ...session.row });
    }
    rows.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, next: rows.length > limit && last ? positionOf(last) : undefined };
  }
}
