import type { SessionsChanged } from '@agent-gateway/schema';
import type { Outbox } from './outbox.js';

/** May this subscriber's principal see that session's row? Sync or async, like the gateway's authoriser. */
export type ListVisibility = (sessionId: string) => boolean | Promise<boolean>;

export interface SessionListFeedOptions {
  /** Sockets joined to the session. */
  membersOf(sessionId: string): Iterable<Outbox>;
  /** Creation notices a subscriber gets one by one per window; past them, one sessions.resync. */
  maxCreatedPerWindow: number;
  windowMs: number;
  now?: () => number;
}

export const DEFAULT_MAX_CREATED_PER_WINDOW = 20;
export const DEFAULT_LIST_WINDOW_MS = 1_000;

interface Subscriber {
  outbox: Outbox;
  prefix: string | undefined;
  visible: ListVisibility;
  windowStart: number;
  createdSent: number;
  /** Creations skipped in this window; > 0 once the first sessions.resync went out. */
  skipped: number;
  /** Skipped since that notice: announced by another one when the window ends. */
  skippedSinceNotice: number;
  timer: NodeJS.Timeout | undefined;
  /** Coalesce creation storms (a subscriber that knows sessions.resync) or send every notice. */
  coalesce: boolean;
}

export interface SessionListFeedCounters {
  changesSent: number;
  resyncsSent: number;
  creationsCoalesced: number;
}

/**
 * Who hears about session rows (R4.1, R6.4). A row change goes to the connections that follow that
 * session — joined to it, or having started or subscribed to a run in it — and to the subscribers of
 * the session list whose filter matches and whose principal may see the row. Nobody else: a change
 * costs O(followers + subscribers), not O(connections).
 *
 * Creation storms are coalesced per subscriber: past `maxCreatedPerWindow` creation notices in one
 * window, the subscriber gets one `sessions.resync` (list again) instead of one row per session,
 * and another at the end of the window if more were skipped after it. Every other change is sent
 * one by one: those follow runs, which lanes already pace.
 */
export class SessionListFeed {
  readonly counters: SessionListFeedCounters = { changesSent: 0, resyncsSent: 0, creationsCoalesced: 0 };
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly followers = new Map<string, Map<string, Outbox>>();
  private readonly followed = new Map<string, Set<string>>();
  private readonly now: () => number;

  constructor(private readonly options: SessionListFeedOptions) {
    this.now = options.now ?? Date.now;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get maxCreatedPerWindow(): number {
    return this.options.maxCreatedPerWindow;
  }

  get windowMs(): number {
    return this.options.windowMs;
  }

  /**
   * Follow the session list (replacing an earlier filter of the same socket), or stop. A connection
   * that speaks an earlier minor than sessions.resync has every notice sent one by one.
   */
  subscribe(outbox: Outbox, enabled: boolean, prefix: string | undefined, visible: ListVisibility): void {
    const existing = this.subscribers.get(outbox.id);
    if (!enabled) {
      if (existing) this.dropSubscriber(existing);
      return;
    }
    if (existing) {
      existing.prefix = prefix;
      existing.visible = visible;
      return;
    }
    this.subscribers.set(outbox.id, {
      outbox,
      prefix,
      visible,
      windowStart: this.now(),
      createdSent: 0,
      skipped: 0,
      skippedSinceNotice: 0,
      timer: undefined,
      coalesce: !outbox.servesOlderMinor,
    });
  }

  /** A socket started or subscribed to a run of the session: it hears of the row until it leaves. */
  follow(sessionId: string, outbox: Outbox): void {
    if (outbox.isClosed) return;
    let bySocket = this.followers.get(sessionId);
    if (!bySocket) this.followers.set(sessionId, (bySocket = new Map()));
    bySocket.set(outbox.id, outbox);
    let sessions = this.followed.get(outbox.id);
    if (!sessions) this.followed.set(outbox.id, (sessions = new Set()));
    sessions.add(sessionId);
  }

  unfollow(sessionId: string, socketId: string): void {
    const bySocket = this.followers.get(sessionId);
    bySocket?.delete(socketId);
    if (bySocket?.size === 0) this.followers.delete(sessionId);
    const sessions = this.followed.get(socketId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.followed.delete(socketId);
  }

  dropSocket(socketId: string): void {
    const subscriber = this.subscribers.get(socketId);
    if (subscriber) this.dropSubscriber(subscriber);
    for (const sessionId of [...(this.followed.get(socketId) ?? [])]) this.unfollow(sessionId, socketId);
  }

  /** The session is gone from the gateway: nobody follows it any more. */
  dropSession(sessionId: string): void {
    for (const socketId of [...(this.followers.get(sessionId)?.keys() ?? [])]) this.unfollow(sessionId, socketId);
  }

  publish(change: SessionsChanged): void {
    const reached = new Set<string>();
    const direct = (outbox: Outbox) => {
      if (reached.has(outbox.id)) return;
      reached.add(outbox.id);
      this.send(outbox, change);
    };
    for (const outbox of this.options.membersOf(change.sessionId)) direct(outbox);
    for (const outbox of this.followers.get(change.sessionId)?.values() ?? []) direct(outbox);
    for (const subscriber of this.subscribers.values()) {
      if (reached.has(subscriber.outbox.id)) continue;
      if (subscriber.prefix !== undefined && !change.sessionId.startsWith(subscriber.prefix)) continue;
      let visible: boolean | Promise<boolean>;
      try {
        visible = subscriber.visible(change.sessionId);
      } catch {
        continue;
      }
      if (visible === true) this.toSubscriber(subscriber, change);
      else if (visible !== false) {
        void Promise.resolve(visible).then(
          (ok) => ok === true && this.subscribers.get(subscriber.outbox.id) === subscriber && this.toSubscriber(subscriber, change),
          () => undefined,
        );
      }
    }
  }

  close(): void {
    for (const subscriber of [...this.subscribers.values()]) this.dropSubscriber(subscriber);
    this.followers.clear();
    this.followed.clear();
  }

  private send(outbox: Outbox, change: SessionsChanged): void {
    // Unloading is news only to a client that speaks 1.1: to an earlier one the row just goes quiet.
    if (change.reason === 'unloaded' && outbox.servesOlderMinor) return;
    outbox.emit('sessions.changed', change);
    this.counters.changesSent += 1;
  }

  private toSubscriber(subscriber: Subscriber, change: SessionsChanged): void {
    if (change.reason !== 'created' || !subscriber.coalesce) return this.send(subscriber.outbox, change);
    const now = this.now();
    if (subscriber.skipped === 0 && now - subscriber.windowStart >= this.options.windowMs) {
      subscriber.windowStart = now;
      subscriber.createdSent = 0;
    }
    if (subscriber.skipped === 0 && subscriber.createdSent < this.options.maxCreatedPerWindow) {
      subscriber.createdSent += 1;
      return this.send(subscriber.outbox, change);
    }
    this.counters.creationsCoalesced += 1;
    subscriber.skipped += 1;
    if (subscriber.skipped > 1) {
      subscriber.skippedSinceNotice += 1;
      return;
    }
    // The first creation past the budget: tell the subscriber now, so it lists while the storm is
    // still going; whatever is skipped after that is announced when the window ends.
    this.resync(subscriber, 1);
    const endsIn = Math.max(0, subscriber.windowStart + this.options.windowMs - now);
    subscriber.timer = setTimeout(() => this.endWindow(subscriber), endsIn);
    subscriber.timer.unref();
  }

  private endWindow(subscriber: Subscriber): void {
    subscriber.timer = undefined;
    if (this.subscribers.get(subscriber.outbox.id) !== subscriber) return;
    if (subscriber.skippedSinceNotice > 0) this.resync(subscriber, subscriber.skippedSinceNotice);
    subscriber.windowStart = this.now();
    subscriber.createdSent = 0;
    subscriber.skipped = 0;
    subscriber.skippedSinceNotice = 0;
  }

  private resync(subscriber: Subscriber, skipped: number): void {
    subscriber.outbox.emit('sessions.resync', { reason: 'coalesced', skipped });
    this.counters.resyncsSent += 1;
  }

  private dropSubscriber(subscriber: Subscriber): void {
    if (subscriber.timer) clearTimeout(subscriber.timer);
    this.subscribers.delete(subscriber.outbox.id);
  }
}
