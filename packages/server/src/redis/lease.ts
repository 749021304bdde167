import type { Logger } from 'pino';
import { isStoreUnavailable } from '../log/unavailable.js';
import type { LaneGate } from '../runs/index.js';
import type { RedisConnection } from './connection.js';
import { gatewayKeys, sessionKeys } from './keys.js';

/** How often a waiting gateway looks at a lease again when no release message woke it. */
const POLL_MS = 250;

/**
 * One turn of a session at a time across gateways: a lease per session (`SET NX PX`), held by the
 * gateway running the turn and renewed while it runs, so a gateway that dies frees the session
 * within one TTL. Releases are published, so waiting gateways start at once; a poll covers expiry.
 */
export class Leases {
  /** Which other gateway holds each session's lease, as far as this gateway heard. */
  private readonly holders = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly nodeId: string,
    readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  gate(sessionId: string): LaneGate {
    return {
      busyElsewhere: () => {
        const holder = this.holders.get(sessionId);
        return holder !== undefined && holder !== this.nodeId;
      },
      enter: (turn, signal, lost) => this.enter(sessionId, turn.id, signal, lost),
    };
  }

  /** Wait for the session's lease, then hold it (renewed) until the returned release is called. */
  async enter(sessionId: string, turnId: string, signal: AbortSignal, lost: (reason: Error) => void): Promise<() => void> {
    const key = sessionKeys(this.prefix, sessionId).lease;
    const token = `${this.nodeId} ${turnId}`;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      try {
        const taken = await this.connection.guard(() => this.connection.command.set(key, token, 'PX', this.ttlMs, 'NX'));
        if (taken === 'OK') break;
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        // Redis is away: keep waiting, as a queued turn would.
      }
      await this.wait(sessionId, signal);
    }
    return this.hold(sessionId, token, turnId, lost);
  }

  /**
   * Take a stopped gateway's lease over at once (its runs are ended under it before any waiting turn
   * can start); falls back to waiting when a live gateway already holds the lease.
   */
  async takeOver(sessionId: string, deadNodeId: string, turnId: string): Promise<() => void> {
    const key = sessionKeys(this.prefix, sessionId).lease;
    const token = `${this.nodeId} ${turnId}`;
    const taken = await this.connection.script('agLeaseTakeOver', [key], [deadNodeId, token, this.ttlMs]);
    if (taken === 1) return this.hold(sessionId, token, turnId, () => undefined);
    return this.enter(sessionId, turnId, new AbortController().signal, () => undefined);
  }

  /** Hold an acquired lease: announce it, renew it, and hand back its release. */
  private hold(sessionId: string, token: string, turnId: string, lost: (reason: Error) => void): () => void {
    const key = sessionKeys(this.prefix, sessionId).lease;
    const cluster = gatewayKeys(this.prefix).cluster;
    void this.connection.guard(() => this.connection.command.publish(cluster, `lease|${this.nodeId}|${sessionId}|${this.nodeId}`)).catch(() => undefined);

    let renewedAt = Date.now();
    const renew = setInterval(
      () => {
        this.connection.script('agLeaseRenew', [key], [token, this.ttlMs]).then(
          (held) => {
            if (held === 1) renewedAt = Date.now();
            else stop(new Error('the session lease was lost (expired and taken over)'));
          },
          () => {
            // Unreachable for longer than the lease lasts: another gateway may own the session now.
            if (Date.now() - renewedAt > this.ttlMs) stop(new Error('the session lease could not be renewed'));
          },
        );
      },
      Math.max(50, Math.floor(this.ttlMs / 3)),
    );
    renew.unref();
    let released = false;
    const stop = (reason: Error) => {
      if (released) return;
      released = true;
      clearInterval(renew);
      this.logger.warn({ sessionId, turnId, reason: reason.message }, 'lost the session lease; aborting the turn');
      lost(reason);
    };
    return () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      void this.connection
        .script('agLeaseRelease', [key], [token, cluster, `lease|${this.nodeId}|${sessionId}|`])
        .catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'releasing the session lease failed; it expires by itself'));
    };
  }

  /** A lease changed hands (`holder` empty: released). */
  heard(sessionId: string, holder: string): void {
    if (holder === '') {
      this.holders.delete(sessionId);
      for (const wake of this.waiters.get(sessionId) ?? []) wake();
    } else this.holders.set(sessionId, holder);
  }

  /** Forget what a gateway held (it is gone). */
  forgetNode(nodeId: string): void {
    for (const [sessionId, holder] of this.holders) if (holder === nodeId) this.heard(sessionId, '');
  }

  private wait(sessionId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiters.get(sessionId);
      if (!waiters) this.waiters.set(sessionId, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(sessionId);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }
}
