import type { SessionEvent } from '@agent-gateway/schema';

/** An event as stored in a session log. */
export interface LogEntry {
  seq: number;
  event: SessionEvent;
}

/** Where a log stands: its epoch, head seq (0 when empty) and the oldest seq it can replay. */
export interface LogHead {
  epoch: string;
  cursor: number;
  oldestCursor: number;
}

/** Counters a log exposes for retention diagnostics and tests. */
export interface LogStats {
  retainedEvents: number;
  retainedBytes: number;
  nonDurableEvents: number;
  nonDurableBytes: number;
  compactedEvents: number;
  evictedEvents: number;
}

/**
 * The event log of one session. Deliberately narrow and async so that a store shared between
 * gateway processes (Redis Streams) implements the same contract as the in-memory default.
 *
 * Invariants:
 * - seqs are 1, 2, 3 ... within one epoch; `append` assigns them.
 * - `read(after, upTo)` returns every retained event with after < seq <= upTo, ascending. Seqs missing
 *   in that range at or above `oldestCursor` were compacted (non-durable only) and the caller
 *   announces them; seqs below `oldestCursor` are never returned.
 */
export interface SessionLog {
  readonly sessionId: string;
  append(events: readonly SessionEvent[]): Promise<LogEntry[]>;
  head(): Promise<LogHead>;
  read(afterSeq: number, upToSeq: number): Promise<LogEntry[]>;
  /** Retained durable events, ascending (for snapshots). */
  durable(): Promise<LogEntry[]>;
  /** Drop everything below `oldestCursor` (clamped to head + 1). Returns the new head. */
  trim(oldestCursor: number): Promise<LogHead>;
  stats(): Promise<LogStats>;
}

/** Creates logs; `create` always starts a new epoch (a recreated session loses its history). */
export interface SessionLogStore {
  create(sessionId: string): Promise<SessionLog>;
  close?(): Promise<void>;
}
