import type { SessionEvent } from '@agent-gateway/schema';

/**
 * Appends the events of one run in order, one append at a time, taking everything that queued up
 * while the previous append was in flight into the next one. An agent that streams tokens faster
 * than the store appends them gets batches instead of one store call per token (one script call per
 * batch on a shared store); an agent that streams slowly gets every event appended at once, no
 * later than before. Past `maxPending` waiting events the producer waits, so memory stays bounded.
 */
export class AppendBatcher {
  private pending: SessionEvent[] = [];
  private pumping: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private drained: Array<() => void> = [];

  constructor(
    private readonly append: (events: SessionEvent[]) => Promise<unknown>,
    private readonly maxPending = 256,
  ) {}

  /** Queue events behind everything queued before; waits only while too much is pending. Throws an earlier append's failure. */
  async add(events: readonly SessionEvent[]): Promise<void> {
    this.throwIfFailed();
    this.pending.push(...events);
    this.pumping ??= this.pump();
    while (this.pending.length >= this.maxPending && !this.failure) await new Promise<void>((resolve) => this.drained.push(resolve));
    this.throwIfFailed();
  }

  /** Wait until everything queued is appended; throws if an append failed. */
  async flush(): Promise<void> {
    await this.pumping;
    this.throwIfFailed();
  }

  private async pump(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending;
        this.pending = [];
        for (const wake of this.drained.splice(0)) wake();
        try {
          await this.append(batch);
        } catch (error) {
          this.failure = { error };
        }
      }
    } finally {
      this.pumping = undefined;
      for (const wake of this.drained.splice(0)) wake();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
