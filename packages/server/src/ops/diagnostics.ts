import type { Diagnostics, HeartbeatCounters, PressureState } from '@agent-gateway/schema';
import type { Outbox } from '../delivery/index.js';

/** Where diagnostics come from. */
export interface DiagnosticsSources {
  pressure(): PressureState;
  heartbeats(): HeartbeatCounters;
  connections(): number;
  sessions(): number;
  /** Joins answered with a gapless replay, and with a snapshot (monotonic). */
  replays(): number;
  resyncs(): number;
}

/**
 * Builds the `diagnostics` payload and sends it periodically to subscribed sockets. The timer runs
 * only while someone is subscribed.
 */
export class DiagnosticsHub {
  private readonly subscribers = new Map<string, Outbox>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly sources: DiagnosticsSources,
    private period: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Period of the `diagnostics` event. */
  get intervalMs(): number {
    return this.period;
  }

  /** Change the period (control diagnostics.interval); a running timer restarts with it. */
  setIntervalMs(ms: number): void {
    this.period = ms;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.startTimer();
    }
  }

  private startTimer(): void {
    this.timer = setInterval(() => this.publish(), this.period);
    this.timer.unref?.();
  }

  build(): Diagnostics {
    return {
      at: this.now(),
      pressure: this.sources.pressure(),
      heartbeats: this.sources.heartbeats(),
      connections: this.sources.connections(),
      sessions: this.sources.sessions(),
      replays: this.sources.replays(),
      resyncs: this.sources.resyncs(),
    };
  }

  subscribe(outbox: Outbox, enabled: boolean): void {
    if (enabled) this.subscribers.set(outbox.id, outbox);
    else this.subscribers.delete(outbox.id);
    if (this.subscribers.size > 0 && !this.timer) {
      this.startTimer();
    } else if (this.subscribers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  unsubscribeSocket(socketId: string): void {
    const outbox = this.subscribers.get(socketId);
    if (outbox) this.subscribe(outbox, false);
  }

  publish(): void {
    if (this.subscribers.size === 0) return;
    const payload = this.build();
    for (const outbox of this.subscribers.values()) outbox.emit('diagnostics', payload);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.subscribers.clear();
  }
}
