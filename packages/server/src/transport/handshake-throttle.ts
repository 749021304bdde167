/**
 * Slows token guessing (R6.1, R6.4). Failed handshakes are counted per remote address over a
 * sliding window: past `freeFailures`, each further refusal is answered only after a delay that
 * doubles up to `maxDelayMs`, and while `maxPendingPerAddress` refusals are being held back, new
 * handshakes from that address are refused at once without looking at their token. A connection
 * that fails `maxFailuresPerConnection` times is closed. Valid handshakes are never delayed, so a
 * user who shares an address with a guesser still gets in unless the guessing floods.
 */
export interface HandshakeThrottleOptions {
  /** Failures per address within the window that are answered at once. Default 3. */
  freeFailures?: number;
  /** The window over which failures are counted. Default 60 s. */
  windowMs?: number;
  /** First delay past the free failures; doubles with each further failure. Default 250 ms. */
  baseDelayMs?: number;
  /** Longest delay. Default 5 s. */
  maxDelayMs?: number;
  /** Refusals held back at once per address; beyond them handshakes are refused unchecked. Default 8. */
  maxPendingPerAddress?: number;
  /** Failed handshakes after which the connection is closed. Default 3. */
  maxFailuresPerConnection?: number;
  /** Addresses remembered at once (the oldest is forgotten first). Default 10,000. */
  maxAddresses?: number;
  now?: () => number;
}

export interface ResolvedHandshakeThrottle {
  freeFailures: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxPendingPerAddress: number;
  maxFailuresPerConnection: number;
  maxAddresses: number;
}

interface AddressRecord {
  /** Failure times within the window, oldest first (at most as many as can matter). */
  failures: number[];
  pending: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

export class HandshakeThrottle {
  readonly settings: ResolvedHandshakeThrottle;
  private readonly addresses = new Map<string, AddressRecord>();
  private readonly now: () => number;
  /** Handshakes refused without a look at their token, over the throttle's life. */
  refusedUnchecked = 0;

  constructor(options: HandshakeThrottleOptions = {}) {
    this.settings = {
      freeFailures: options.freeFailures ?? 3,
      windowMs: options.windowMs ?? 60_000,
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      maxPendingPerAddress: options.maxPendingPerAddress ?? 8,
      maxFailuresPerConnection: options.maxFailuresPerConnection ?? 3,
      maxAddresses: options.maxAddresses ?? 10_000,
    };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!Number.isSafeInteger(value) || value < (name === 'freeFailures' || name === 'baseDelayMs' ? 0 : 1)) {
        throw new RangeError(`handshakeThrottle.${name} must be a non-negative integer, got ${String(value)}`);
      }
    }
    this.now = options.now ?? Date.now;
  }

  /** May a handshake from this address be checked at all? */
  admit(address: string): Admission {
    const record = this.addresses.get(address);
    if (!record || record.pending < this.settings.maxPendingPerAddress) return { admitted: true };
    this.refusedUnchecked += 1;
    return { admitted: false, retryAfterMs: this.settings.maxDelayMs };
  }

  /**
   * Record a failed handshake; resolves when its refusal may be sent (at once for the first few).
   * Everything of the address is forgotten once its failures have left the window.
   */
  async failed(address: string): Promise<void> {
    const now = this.now();
    const record = this.touch(address);
    const keep = this.settings.freeFailures + 16;
    record.failures = record.failures.filter((at) => now - at < this.settings.windowMs);
    record.failures.push(now);
    if (record.failures.length > keep) record.failures.splice(0, record.failures.length - keep);
    const excess = record.failures.length - this.settings.freeFailures;
    if (excess <= 0) return;
    const delay = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** Math.min(excess - 1, 20));
    record.pending += 1;
    try {
      await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    } finally {
      record.pending -= 1;
    }
  }

  /** Addresses remembered now (for tests and diagnostics). */
  get size(): number {
    this.prune();
    return this.addresses.size;
  }

  private touch(address: string): AddressRecord {
    let record = this.addresses.get(address);
    if (record) {
      // Most recently used last, so the oldest is the first to forget when full.
      this.addresses.delete(address);
    } else {
      record = { failures: [], pending: 0 };
      if (this.addresses.size >= this.settings.maxAddresses) this.prune();
      if (this.addresses.size >= this.settings.maxAddresses) {
        const oldest = this.addresses.keys().next().value;
        if (oldest !== undefined) this.addresses.delete(oldest);
      }
    }
    this.addresses.set(address, record);
    return record;
  }

  private prune(): void {
    const now = this.now();
    for (const [address, record] of this.addresses) {
      if (record.pending === 0 && record.failures.every((at) => now - at >= this.settings.windowMs)) this.addresses.delete(address);
    }
  }
}
