import type { ValidationIssue, WireError } from '@agent-gateway/schema';

/**
 * Local failures of the client. They never cross the wire; a gateway's own refusals travel
 * inside REQUEST_FAILED / CONNECT_REFUSED as the WireError it sent.
 */
export const ClientErrorCodes = {
  /** A request got no acknowledgement within its timeout. */
  Timeout: 'TIMEOUT',
  /** The connection dropped before the acknowledgement arrived (the request may or may not have run). */
  Disconnected: 'DISCONNECTED',
  /** The client was closed by the application. */
  Closed: 'CLOSED',
  /**
   * An inbound message failed schema validation. A frame that fails is a gap at its seq (the
   * session resyncs); a snapshot that fails rejects the join it answers; anything else is dropped.
   */
  InvalidFrame: 'INVALID_FRAME',
  /** The gateway answered a request with `ok: false`; `wireError` carries its error. */
  RequestFailed: 'REQUEST_FAILED',
  /** The gateway refused the connection (bad token, unsupported protocol version). */
  ConnectRefused: 'CONNECT_REFUSED',
  /**
   * `reply()` named a run the session does not have: neither active, queued nor in the history the
   * client holds and the gateway still knows (see `GatewayClient.reply`).
   */
  UnknownRun: 'UNKNOWN_RUN',
  /** The application passed something the client cannot use. */
  InvalidArgument: 'INVALID_ARGUMENT',
  /**
   * A reply can no longer finish here; `reason` says why: `gateway-restarted` (the state the run
   * belonged to is gone: the session's epoch changed or the gateway announced another instanceId,
   * so its outcome is unknown) or `session-left` (the application stopped following the session).
   */
  RunInterrupted: 'RUN_INTERRUPTED',
} as const;

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

/** Why a reply or a tool card was closed without its run's own end (see RUN_INTERRUPTED). */
export type InterruptReason = 'gateway-restarted' | 'session-left';

export interface ClientErrorOptions {
  wireError?: WireError;
  issues?: ValidationIssue[];
  event?: string;
  reason?: InterruptReason;
  cause?: unknown;
}

export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** The gateway's error, for REQUEST_FAILED and CONNECT_REFUSED. */
  readonly wireError: WireError | undefined;
  /** What failed validation, for INVALID_FRAME. */
  readonly issues: ValidationIssue[] | undefined;
  /** The event or request name the error is about. */
  readonly event: string | undefined;
  /** Why, for RUN_INTERRUPTED. */
  readonly reason: InterruptReason | undefined;

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.wireError = options.wireError;
    this.issues = options.issues;
    this.event = options.event;
    this.reason = options.reason;
  }
}

export function isClientError(value: unknown, code?: ClientErrorCode): value is ClientError {
  return value instanceof ClientError && (code === undefined || value.code === code);
}

/** Whether a value has the shape of the protocol's error (as Socket.IO hands over a refusal's data). */
export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && typeof (value as WireError).code === 'string' && typeof (value as WireError).message === 'string';
}
