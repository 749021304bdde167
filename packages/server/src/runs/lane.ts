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
  ) {}

  enqueue(turn: LaneTurn): void {
    this.queue.push(turn);
    if (!this.draining) void this.drain();
  }

  /** True while a turn runs or waits. */
  isBusy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
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
        this.events.started?.(turn);
        try {
          await turn.execute(controller.signal);
        } catch (error) {
          this.events.failed?.(turn, error);
        } finally {
          this.current = undefined;
        }
      }
    } finally {
      this.draining = false;
    }
    this.events.idle?.();
  }
}
