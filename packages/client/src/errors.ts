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
  /** An inbound message failed schema validation; it was dropped. */
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
} as const;

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

export interface ClientErrorOptions {
  wireError?: WireError;
  issues?: ValidationIssue[];
  event?: string;
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

  constructor(code: ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
    this.wireError = options.wireError;
    this.issues = options.issues;
    this.event = options.event;
  }
}

export function isClientError(value: unknown, code?: ClientErrorCode): value is ClientError {
  return value instanceof ClientError && (code === undefined || value.code === code);
}
