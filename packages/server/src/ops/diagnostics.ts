import type { Diagnostics, HeartbeatCounters, PressureState } from '@agent-gateway/schema';
import type { Outbox } from './outbox.js';

/** Where diagnostics come from; the pressure monitor and heartbeat scheduler replace the defaults. */
export interface DiagnosticsSources {
  pressure(): PressureState;
  heartbeats(): HeartbeatCounters;
  connections(): number;
  sessions(): number;
}

/**
 * Builds the `diagnostics` payload and sends it periodically to subscribed sockets. The timer runs
 * only while someone is subscribed.
 */
export class DiagnosticsHub {
  readonly counters = { replays: 0, resyncs: 0 };
  private readonly subscribers = new Map<string, Outbox>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    public sources: DiagnosticsSources,
    readonly intervalMs: number,
  ) {}

  build(): Diagnostics {
    return {
      at: Date.now(),
      pressure: this.sources.pressure(),
      heartbeats: this.sources.heartbeats(),
      connections: this.sources.connections(),
      sessions: this.sources.sessions(),
      replays: this.counters.replays,
      resyncs: this.counters.resyncs,
    };
  }

  subscribe(outbox: Outbox, enabled: boolean): void {
    if (enabled) this.subscribers.set(outbox.id, outbox);
    else this.subscribers.delete(outbox.id);
    if (this.subscribers.size > 0 && !this.timer) {
      this.timer = setInterval(() => this.publish(), this.intervalMs);
      this.timer.unref?.();
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
