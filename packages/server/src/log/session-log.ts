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
 * gateway processes implements the same contract as the in-memory default; `test/log/` holds the
 * contract suite every store must pass.
 *
 * Invariants:
 * - seqs are 1, 2, 3 ... within one epoch; `append` assigns them, consecutively for one call.
 * - `read(after, upTo)` returns every retained event with after < seq <= upTo, ascending. Seqs missing
 *   in that range at or above `oldestCursor` were compacted (non-durable only) and the caller
 *   announces them; seqs below `oldestCursor` are never returned.
 * - retention never drops a durable event while a non-durable one is still retained (R2.6), and
 *   `oldestCursor` only moves forward.
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

/**
 * Where session logs live. A durable store keeps a session's epoch and history across gateway
 * restarts and across the gateways that share it; the in-memory store keeps them for the life of
 * the process.
 */
export interface SessionLogStore {
  /** The session's log: the one the store holds (same epoch, same history), or a new, empty one under a new epoch. */
  open(sessionId: string): Promise<SessionLog>;
  /** Replace the session's log with an empty one under a new epoch: its history is gone. */
  recreate(sessionId: string): Promise<SessionLog>;
  /**
   * The gateway no longer holds the session in memory. A durable store keeps the log (a later
   * `open` continues it); the in-memory store drops it, so a later `open` starts a new epoch.
   */
  release(sessionId: string): Promise<void>;
  close?(): Promise<void>;
}
