/** How much of its history a session log keeps (semantics: Retention). */
export interface RetentionOptions {
  /** Events kept per session log (default 10,000). */
  maxEvents?: number;
  /** JSON bytes of events kept per session log (default 8 MiB). */
  maxBytes?: number;
  /** Of those, non-durable events (stream chunks, tool updates, skipped heartbeats); default a quarter. */
  maxNonDurableEvents?: number;
  maxNonDurableBytes?: number;
}

export interface ResolvedRetention {
  maxEvents: number;
  maxBytes: number;
  maxNonDurableEvents: number;
  maxNonDurableBytes: number;
}

/** Retention unless configured: see the package README for why these figures. */
export const DEFAULT_MAX_EVENTS = 10_000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Non-durable events share a quarter of each bound unless configured (semantics: Retention). */
export function resolveRetention(options: RetentionOptions | undefined): ResolvedRetention {
  const maxEvents = positiveInteger(options?.maxEvents, DEFAULT_MAX_EVENTS, 'retention.maxEvents');
  const maxBytes = positiveInteger(options?.maxBytes, DEFAULT_MAX_BYTES, 'retention.maxBytes');
  const maxNonDurableEvents = positiveInteger(options?.maxNonDurableEvents, Math.max(1, Math.floor(maxEvents / 4)), 'retention.maxNonDurableEvents');
  const maxNonDurableBytes = positiveInteger(options?.maxNonDurableBytes, Math.max(1, Math.floor(maxBytes / 4)), 'retention.maxNonDurableBytes');
  return { maxEvents, maxBytes, maxNonDurableEvents, maxNonDurableBytes };
}
