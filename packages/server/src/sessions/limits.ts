import { ErrorCodes, type WireError } from '@agent-gateway/schema';

/** How many sessions the gateway holds in memory (R6.4). */
export interface SessionLimits {
  /** Sessions loaded at once over the whole gateway. */
  maxSessions: number;
  /** Sessions one principal's requests created and the gateway still holds. */
  maxSessionsPerPrincipal: number;
}

export const DEFAULT_MAX_SESSIONS = 10_000;
export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 1_000;

/**
 * A request would pass a bound of the gateway. Thrown where the bound is checked and answered as
 * a LIMIT_EXCEEDED wire error by whoever handles the request; nothing was created.
 */
export class LimitExceededError extends Error {
  constructor(readonly wireError: WireError) {
    super(wireError.message);
    this.name = 'LimitExceededError';
  }
}

export function limitExceeded(limit: string, max: number, message: string, retry?: { retryAfterMs: number }): WireError {
  return {
    code: ErrorCodes.LimitExceeded,
    message,
    details: { limit, max },
    retryable: retry !== undefined,
    ...(retry ? { retryAfterMs: retry.retryAfterMs } : {}),
  };
}
