/**
 * The storage behind the gateway cannot be reached right now (a Redis connection is down, a
 * command timed out). Requests that needed it are answered with the retryable `UNAVAILABLE` wire
 * error instead of `INTERNAL`: nothing was changed, and the same request may succeed shortly.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    /** How long a client should wait before retrying, when the store can tell. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
