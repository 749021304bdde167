import type { SessionEvent } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Fanout } from '../delivery/index.js';
import type { LogEntry, LogHead } from '../log/index.js';
import type { Session, SessionFeed } from '../sessions/index.js';
import type { RedisConnection } from './connection.js';
import { sessionKeys, sessionOfChannel } from './keys.js';
import { RedisSessionLog } from './log-store.js';

/** One published append: `epoch|firstSeq|[events]` (an empty list with firstSeq 1 announces a new epoch). */
interface Published {
  epoch: string;
  firstSeq: number;
  events: SessionEvent[];
}

/** What this gateway has applied of one session's shared log. */
interface Followed {
  session: Session;
  channel: string;
  /** The epoch and the last seq applied to the view and handed to the fan-out. */
  epoch: string;
  lastSeq: number;
  /** Epochs left behind: their late messages are ignored. */
  retired: Set<string>;
  /** Published appends not applied yet, in arrival order (= seq order). */
  pending: Published[];
  draining: boolean;
}

export interface FeedCounters {
  /** Reads of the log to fill a range the channel did not bring (joins, reconnects, gaps). */
  catchUps: number;
  /** Seqs that were evicted before this gateway could deliver them live (members see a gap and resync). */
  lost: number;
}

function parsePublished(payload: string): Published | undefined {
  const a = payload.indexOf('|');
  const b = payload.indexOf('|', a + 1);
  if (a < 0 || b < 0) return undefined;
  const firstSeq = Number(payload.slice(a + 1, b));
  if (!Number.isSafeInteger(firstSeq)) return undefined;
  return { epoch: payload.slice(0, a), firstSeq, events: JSON.parse(payload.slice(b + 1)) as SessionEvent[] };
}

/**
 * Follows the shared logs of the sessions this gateway holds. Appends of every gateway are
 * published by the append script in seq order; this feed applies them to the session's view and
 * hands them to the local fan-out in that order, exactly once each:
 * - a session is followed from the moment it is loaded: subscribe first, then read the log (the
 *   view is built from it), so anything appended after the read arrives on the channel;
 * - everything is applied inside the session's serial queue, where joins run too, and anything at or
 *   below the last applied seq is dropped as already delivered;
 * - a hole in what the channel brings (a message lost while the subscriber reconnected) is filled
 *   by reading that range from the log before going on; a join first catches up to the head it
 *   read, so replay and live frames meet exactly there, whichever gateway appended what.
 */
export class RedisFeed implements SessionFeed {
  readonly counters: FeedCounters = { catchUps: 0, lost: 0 };
  private readonly followed = new Map<string, Followed>();
  private fanout: Fanout | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  bind(fanout: Fanout): void {
    this.fanout = fanout;
  }

  async follow(session: Session): Promise<void> {
    if (!(session.log instanceof RedisSessionLog)) throw new TypeError('the Redis feed follows Redis session logs only');
    const channel = sessionKeys(this.prefix, session.id).channel;
    const state: Followed = { session, channel, epoch: session.epoch, lastSeq: 0, retired: new Set(), pending: [], draining: false };
    this.followed.set(session.id, state);
    try {
      await this.connection.guard(() => this.connection.subscriber.subscribe(channel));
      await session.serial.run(async () => {
        const { head, entries } = await logOf(state).readWithHead(0, Number.MAX_SAFE_INTEGER);
        state.epoch = head.epoch;
        state.lastSeq = head.cursor;
        session.epoch = head.epoch;
        // The view of a session loaded here is rebuilt from what the log retains.
        session.view.apply(entries);
      });
    } catch (error) {
      this.followed.delete(session.id);
      void this.connection.subscriber.unsubscribe(channel).catch(() => undefined);
      throw error;
    }
    this.schedule(state);
  }

  async appended(session: Session, entries: readonly LogEntry[]): Promise<void> {
    const state = this.followed.get(session.id);
    if (!state || entries.length === 0) return;
    // The append landed in another epoch than the one delivered so far: Redis lost the log.
    const log = logOf(state);
    if (log.epoch !== undefined && log.epoch !== state.epoch) this.switchEpoch(state, log.epoch);
    await this.applyThrough(state, entries);
  }

  /** For a join, inside the session's serial queue: apply everything up to `head` before it is answered. */
  async catchUp(session: Session, head: LogHead): Promise<void> {
    const state = this.followed.get(session.id);
    if (!state) return;
    if (head.epoch !== state.epoch) {
      if (state.retired.has(head.epoch)) return;
      this.switchEpoch(state, head.epoch);
    }
    if (head.cursor > state.lastSeq) await this.readRange(state, state.lastSeq, head.cursor);
  }

  /** A message on a session channel (the subscriber's `message` event). */
  onMessage(channel: string, payload: string): void {
    const sessionId = sessionOfChannel(this.prefix, channel);
    const state = sessionId === undefined ? undefined : this.followed.get(sessionId);
    if (!state) return;
    let published: Published | undefined;
    try {
      published = parsePublished(payload);
    } catch {
      published = undefined;
    }
    if (!published) {
      this.logger.error({ sessionId, channel }, 'unreadable message on a session channel');
      return;
    }
    state.pending.push(published);
    this.schedule(state);
  }

  /**
   * The subscriber is back after a reconnection: confirm every subscription, then bring each session
   * up to the log's head (messages published while the link was down never arrive).
   */
  async resync(): Promise<void> {
    const states = [...this.followed.values()];
    if (states.length === 0) return;
    await this.connection.subscriber.subscribe(...states.map((s) => s.channel));
    await Promise.all(
      states.map((state) =>
        state.session.serial
          .run(async () => {
            const head = await logOf(state).head();
            await this.catchUp(state.session, head);
          })
          .then(
            () => this.schedule(state),
            (error: unknown) => this.logger.warn({ err: error, sessionId: state.session.id }, 'catching up after a reconnection failed'),
          ),
      ),
    );
  }

  sessions(): string[] {
    return [...this.followed.keys()];
  }

  async close(): Promise<void> {
    const channels = [...this.followed.values()].map((s) => s.channel);
    this.followed.clear();
    if (channels.length > 0) await this.connection.subscriber.unsubscribe(...channels).catch(() => undefined);
  }

  private schedule(state: Followed): void {
    if (state.draining || state.pending.length === 0) return;
    state.draining = true;
    void state.session.serial
      .run(() => this.drain(state))
      .catch((error: unknown) => {
        // Left pending: the next message, join or reconnection picks it up again.
        this.logger.warn({ err: error, sessionId: state.session.id }, 'applying published events failed');
      })
      .finally(() => {
        state.draining = false;
      });
  }

  private async drain(state: Followed): Promise<void> {
    while (state.pending.length > 0) {
      const published = state.pending[0]!;
      if (!state.retired.has(published.epoch)) {
        if (published.epoch !== state.epoch) this.switchEpoch(state, published.epoch);
        const entries = published.events.map((event, i) => ({ seq: published.firstSeq + i, event }));
        if (entries.length > 0) await this.applyThrough(state, entries);
      }
      state.pending.shift();
    }
  }

  /** Apply `entries` (consecutive seqs), first filling any hole between what was applied and them. */
  private async applyThrough(state: Followed, entries: readonly LogEntry[]): Promise<void> {
    const first = entries[0]!.seq;
    if (first > state.lastSeq + 1) await this.readRange(state, state.lastSeq, first - 1);
    const fresh = entries.filter((e) => e.seq > state.lastSeq);
    if (fresh.length > 0) this.apply(state, fresh);
  }

  /** Read (after, upTo] from the log and apply it; holes inside the window were compacted. */
  private async readRange(state: Followed, after: number, upTo: number): Promise<void> {
    this.counters.catchUps += 1;
    const { head, entries } = await logOf(state).readWithHead(after, upTo);
    if (head.epoch !== state.epoch) {
      // The range belonged to an epoch that is gone: start over with the new one.
      this.switchEpoch(state, head.epoch);
      if (head.cursor > 0) await this.readRange(state, 0, Math.min(upTo, head.cursor));
      return;
    }
    const lostUpTo = Math.min(head.oldestCursor - 1, upTo);
    const lost = lostUpTo > after;
    if (lost) {
      // Evicted before this gateway could deliver them. The gap stays unannounced (never dressed up
      // as compacted): the members' clients see it and resync.
      this.counters.lost += lostUpTo - after;
      this.logger.warn({ sessionId: state.session.id, fromSeq: after + 1, toSeq: lostUpTo }, 'events evicted before they could be delivered live');
    }
    const fanout = lost ? undefined : this.fanout;
    const members = () => fanout?.members(state.session.id).values() ?? [];
    for (const entry of entries) {
      // Holes inside the retained window were compacted: announced on the members' next frame.
      for (const member of members()) fanout!.skip(member, entry.seq - 1, 'compacted');
      this.apply(state, [entry]);
    }
    if (upTo > state.lastSeq && upTo <= head.cursor) {
      for (const member of members()) fanout!.skip(member, upTo, 'compacted');
      state.lastSeq = upTo;
    }
  }

  private apply(state: Followed, entries: readonly LogEntry[]): void {
    state.session.view.apply(entries);
    this.fanout?.deliver(state.session.id, state.epoch, entries);
    state.lastSeq = entries[entries.length - 1]!.seq;
  }

  /** A new epoch of the session's log: nothing of the old one carries over. */
  private switchEpoch(state: Followed, epoch: string): void {
    state.retired.add(state.epoch);
    state.epoch = epoch;
    state.lastSeq = 0;
    state.session.epoch = epoch;
    state.session.view.reset();
    this.fanout?.restartSession(state.session.id);
  }
}

/**
 * The session's log as it is now: a recreated session has a new log object, and the one it had
 * when it was first followed knows only the epoch of its own last answer.
 */
function logOf(state: Followed): RedisSessionLog {
  return state.session.log as RedisSessionLog;
}
