/** One unit of work in a session lane: a run, a heartbeat turn, or a hold. */
export interface LaneTurn {
  readonly id: string;
  readonly kind: 'run' | 'heartbeat' | 'hold';
  /** Does the work; must settle soon after `signal` aborts. */
  execute(signal: AbortSignal): Promise<void>;
  /** Called instead of `execute` when the turn is cancelled while still queued. */
  cancelled?(): void;
}

export interface LaneEvents {
  /** The lane went from busy to idle (nothing running, nothing queued). */
  idle?(): void;
  /** A turn started executing. */
  started?(turn: LaneTurn): void;
  /** A turn threw; the lane goes on with the next one. */
  failed?(turn: LaneTurn, error: unknown): void;
}

/**
 * Admits a lane's turns when gateways share sessions: one turn of a session at a time across all of
 * them. Without a gate the lane alone decides.
 */
export interface LaneGate {
  /** Another gateway is running a turn of this session. */
  busyElsewhere(): boolean;
  /**
   * Wait until this gateway may run `turn`; resolves to the release to call when the turn is over.
   * Rejects only when `signal` aborts (the turn then counts as cancelled while queued). `lost` is
   * called if the admission is lost while the turn runs (the lane aborts the turn).
   */
  enter(turn: LaneTurn, signal: AbortSignal, lost: (reason: Error) => void): Promise<() => void>;
}

/**
 * The serial work queue of one session: turns run one at a time, in order. Heartbeats consult
 * `isBusy` and skip instead of queueing behind (or interrupting) an active run.
 */
export class Lane {
  private readonly queue: LaneTurn[] = [];
  private current: { turn: LaneTurn; controller: AbortController } | undefined;
  private draining = false;

  constructor(
    readonly sessionId: string,
    private readonly events: LaneEvents = {},
    private readonly gate?: LaneGate,
  ) {}

  enqueue(turn: LaneTurn): void {
    this.queue.push(turn);
    if (!this.draining) void this.drain();
  }

  /** True while a turn runs or waits (here, or on another gateway sharing the session). */
  isBusy(): boolean {
    return this.current !== undefined || this.queue.length > 0 || (this.gate?.busyElsewhere() ?? false);
  }

  get active(): LaneTurn | undefined {
    return this.current?.turn;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /** Remove a turn that has not started; returns false when it is not queued. */
  cancelQueued(id: string): boolean {
    const index = this.queue.findIndex((t) => t.id === id);
    if (index < 0) return false;
    const [turn] = this.queue.splice(index, 1);
    turn?.cancelled?.();
    return true;
  }

  /** Abort the running turn if it has this id (or any id when omitted). */
  abortActive(id?: string, reason: unknown = new Error('aborted')): boolean {
    const current = this.current;
    if (!current || (id !== undefined && current.turn.id !== id)) return false;
    current.controller.abort(reason);
    return true;
  }

  /**
   * Occupy the lane as a long run would, until the returned release is called. The hold queues
   * behind turns already waiting, like any other turn.
   */
  hold(id: string): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.enqueue({
      id,
      kind: 'hold',
      execute: (signal) =>
        new Promise<void>((resolve) => {
          void released.then(resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
    });
    return () => {
      if (!this.cancelQueued(id)) release();
    };
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let turn = this.queue.shift(); turn; turn = this.queue.shift()) {
        const controller = new AbortController();
        this.current = { turn, controller };
        let release: (() => void) | undefined;
        if (this.gate) {
          try {
            release = await this.gate.enter(turn, controller.signal, (reason) => controller.abort(reason));
          } catch {
            // Aborted while waiting for its turn across gateways: as good as cancelled in the queue.
            this.current = undefined;
            turn.cancelled?.();
            continue;
          }
        }
        this.events.started?.(turn);
        try {
          await turn.execute(controller.signal);
        } catch (error) {
          this.events.failed?.(turn, error);
        } finally {
          this.current = undefined;
          release?.();
        }
      }
    } finally {
      this.draining = false;
    }
    this.events.idle?.();
  }
}
