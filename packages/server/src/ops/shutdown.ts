import { ErrorCodes, type WireError } from '@agent-gateway/schema';

/** What a draining gateway waits for before it closes its connections. */
export interface DrainState {
  /** Requests received and not answered yet. */
  requestsInFlight(): number;
  /** Runs queued or running. */
  runsActive(): number;
  /** Outboxes that still hold items not handed to the transport. */
  outboxesPending(): number;
}

export const DEFAULT_DRAIN_MS = 10_000;
const DRAIN_POLL_MS = 20;

export function shuttingDownError(): WireError {
  return {
    code: ErrorCodes.ShuttingDown,
    message: 'The gateway is shutting down. Reconnect (to this or another node) and resume by cursor.',
    retryable: true,
    retryAfterMs: 1_000,
  };
}

/**
 * Wait until nothing is owed — every request answered, every run ended, every outbox handed down —
 * or the deadline passes. Resolves true when drained. Polls: shutdown is rare and the state lives in
 * several services that have no common event to wait on.
 */
export async function waitUntilDrained(state: DrainState, drainMs: number): Promise<boolean> {
  const deadline = Date.now() + drainMs;
  for (;;) {
    if (state.requestsInFlight() === 0 && state.runsActive() === 0 && state.outboxesPending() === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}
