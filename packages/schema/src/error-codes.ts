/*
 * The error codes of the protocol, in a module of their own with no schema objects, so code that
 * only switches on codes (a browser client) does not load the schemas.
 */

/**
 * Every error code that crosses the wire. Codes are stable API: clients switch on them.
 */
export const ErrorCodes = {
  /** A message failed schema validation; `details.issues` names each offending JSON path. */
  InvalidMessage: 'INVALID_MESSAGE',
  /** The event name is not part of the protocol. */
  UnknownEvent: 'UNKNOWN_EVENT',
  /** The message is larger than the gateway accepts; `details.limitBytes` says how large it may be. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** The requested protocol major version is not served; `details.supported` names the range. */
  UnsupportedProtocolVersion: 'UNSUPPORTED_PROTOCOL_VERSION',
  /** The connection did not present valid credentials. */
  Unauthorized: 'UNAUTHORIZED',
  /** The principal may not use this session. Says nothing about whether the session exists. */
  Forbidden: 'FORBIDDEN',
  /** The operation needs a joined session and this connection has not joined it. */
  NotJoined: 'NOT_JOINED',
  /** No run with that id exists in the session. */
  RunNotFound: 'RUN_NOT_FOUND',
  /** The control surface is disabled on this gateway, or this connection lacks its token. */
  ControlDisabled: 'CONTROL_DISABLED',
  /** The gateway does not implement that control command. */
  ControlUnsupported: 'CONTROL_UNSUPPORTED',
  /** The gateway cannot take more work right now; retry after `retryAfterMs`. */
  Busy: 'BUSY',
  /**
   * The gateway cannot reach the storage it shares with other gateways (e.g. Redis) right now. The
   * request changed nothing; retry after `retryAfterMs`. Always `retryable: true`.
   */
  Unavailable: 'UNAVAILABLE',
  /**
   * A bound of the gateway was reached: sessions or connections of a principal or of the whole
   * gateway, or failed handshakes from one address. `details.limit` names the bound and
   * `details.max` its value. Not retryable for sessions and connections (something must end first);
   * retryable after `retryAfterMs` for throttled handshakes.
   */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /**
   * Sent as `protocol.error` right before the gateway closes a connection whose pending output
   * passed `hello.limits.maxPendingBytes`: the client did not read fast enough. Nothing is lost: it
   * reconnects and resumes every session by cursor.
   */
  SlowConsumer: 'SLOW_CONSUMER',
  /**
   * Sent as `protocol.error` right before the gateway closes connections because it is shutting
   * down (after finishing the requests in flight). Reconnect, possibly to another node, and resume
   * by cursor.
   */
  ShuttingDown: 'SHUTTING_DOWN',
  /** The agent behind a run failed. */
  AgentFailed: 'AGENT_FAILED',
  /** The run was aborted; a tool call it left open ends with this error. */
  RunAborted: 'RUN_ABORTED',
  /** An unexpected failure inside the gateway. The session log is unchanged. */
  Internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Codes added after 1.0, with the code a peer of an earlier minor receives instead (it validates
 * against the code list of its own minor).
 */
export const ErrorCodeHistory: Partial<Record<ErrorCode, { since: `${number}.${number}`; fallback: ErrorCode }>> = {
  SLOW_CONSUMER: { since: '1.1', fallback: 'BUSY' },
  LIMIT_EXCEEDED: { since: '1.1', fallback: 'FORBIDDEN' },
  UNAVAILABLE: { since: '1.1', fallback: 'BUSY' },
  SHUTTING_DOWN: { since: '1.1', fallback: 'BUSY' },
  RUN_ABORTED: { since: '1.1', fallback: 'AGENT_FAILED' },
};
