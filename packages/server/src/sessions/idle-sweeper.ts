import type { SessionRegistry } from './registry.js';
import type { Session } from './session.js';

export interface IdleSweeperOptions {
  sessions: SessionRegistry;
  /** A session unused for this long (and not in use) is unloaded. */
  idleMs: number;
  /** How often sessions are checked. */
  intervalMs: number;
  /** Something still holds the session: a joined socket, a queued system event. */
  heldElsewhere(sessionId: string): boolean;
  now?: () => number;
}

export const DEFAULT_SESSION_IDLE_MS = 10 * 60 * 1000;

/** Check often enough that a session is unloaded within a quarter of its idle time, at most once a second. */
export function defaultSweepIntervalMs(idleMs: number): number {
  return Math.max(1_000, Math.min(60_000, Math.floor(idleMs / 4)));
}

/**
 * Unloads sessions nobody uses (R6.4): no member, nothing in the lane (runs, heartbeat turns,
 * holds), nothing queued on the session, and no client or run activity for `idleMs`. Without it
 * every session id ever joined would stay in memory, with its heartbeat, for the life of the process.
 */
export class IdleSweeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: IdleSweeperOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  isIdle(session: Session, now = this.now()): boolean {
    return now - session.lastActiveAt >= this.options.idleMs && !session.lane.isBusy() && session.serial.size === 0 && !this.options.heldElsewhere(session.id);
  }

  /** Unload every idle session now; returns how many went. */
  sweep(): number {
    const now = this.now();
    const idle = [...this.options.sessions.all()].filter((session) => this.isIdle(session, now));
    for (const session of idle) this.options.sessions.unload(session);
    return idle.length;
  }
}
