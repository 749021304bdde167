import {
  downgradeMessage,
  ErrorCodes,
  PROTOCOL_VERSION,
  REQUEST_NAMES,
  Requests,
  invalidMessageError,
  isRequestName,
  validateRequestParams,
  type RequestHandlers,
  type RequestName,
  type RequestParams,
  type Validation,
  type WireError,
} from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { AnswerSlot, Outbox } from '../delivery/index.js';
import { isStoreUnavailable } from '../log/unavailable.js';
import type { GatewaySocket } from './socket-types.js';

/** Checks the params of a request against the protocol; the default is the schema's precompiled validator. */
export type RequestValidator = <E extends RequestName>(event: E, params: unknown) => Validation<RequestParams<E>>;

export interface IngressOptions {
  maxPayloadBytes: number;
  logger: Logger;
  validate?: RequestValidator;
  /** Counts every rejected inbound message (diagnostics, tests). */
  onRejected?(event: string, error: WireError): void;
  /** Requests being handled, gateway-wide: a draining gateway waits for them. */
  inFlight?: { count: number };
  /** An error to answer every valid request with instead of handling it (a gateway shutting down). */
  refuseAll?(): WireError | undefined;
}

type Ack = (result: unknown) => void;

/** Per-request hooks a handler may use. */
export interface RequestScope {
  /**
   * Fix the position of this request's answer in the socket's outbound order now (a join calls it
   * right after queueing its replay, inside the session's serial section). Without it the answer
   * goes out after whatever was queued when the handler returned.
   */
  reserveAnswer(): void;
}

function fail(error: WireError) {
  return { ok: false as const, error };
}

function isBinary(value: unknown): boolean {
  return Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** JSON size of a message, or undefined when it cannot be encoded at all. */
export function jsonBytes(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : Buffer.byteLength(text, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Check a request's arguments before any handler sees them: exactly one params argument (plus the
 * acknowledgement), no binary, within the size limit, valid against the schema.
 */
export function checkRequest<E extends RequestName>(
  event: E,
  args: readonly unknown[],
  options: Pick<IngressOptions, 'maxPayloadBytes' | 'validate'>,
): { ok: true; params: RequestParams<E> } | { ok: false; error: WireError } {
  if (args.length !== 1) {
    return {
      ok: false,
      error: invalidMessageError(event, [{ path: '', message: `expects exactly one params argument, got ${args.length}`, keyword: 'arguments' }]),
    };
  }
  const payload = args[0];
  if (isBinary(payload)) {
    return { ok: false, error: invalidMessageError(event, [{ path: '', message: 'binary payloads are not accepted; send a JSON object', keyword: 'type' }]) };
  }
  const size = jsonBytes(payload);
  if (size === undefined) {
    return {
      ok: false,
      error: invalidMessageError(event, [{ path: '', message: 'must be a JSON object (this one is nested too deeply to encode)', keyword: 'type' }]),
    };
  }
  if (size > options.maxPayloadBytes) {
    return {
      ok: false,
      error: {
        code: ErrorCodes.PayloadTooLarge,
        message: `The ${event} message is ${size} bytes; the limit is ${options.maxPayloadBytes}.`,
        details: { event, limitBytes: options.maxPayloadBytes, actualBytes: size },
        retryable: false,
      },
    };
  }
  const checked = (options.validate ?? validateRequestParams)(event, payload);
  if (!checked.ok) return { ok: false, error: invalidMessageError(event, checked.issues) };
  return { ok: true, params: checked.value };
}

/**
 * Wire a socket's inbound side: every request of the protocol goes through `checkRequest`, then its
 * handler; unknown events get UNKNOWN_EVENT. Answers go through the socket's outbox so that an
 * acknowledgement is never overtaken by frames queued before it (a join's replay). When a bad
 * message carried no acknowledgement, the error is emitted as protocol.error.
 */
export function attachIngress<Context>(
  socket: GatewaySocket,
  outbox: Outbox,
  handlers: RequestHandlers<Context>,
  contextFor: (scope: RequestScope) => Context,
  options: IngressOptions,
): void {
  // A peer that negotiated an older minor gets answers as that minor defines them.
  const negotiated = socket.data.protocolVersion;
  const olderVersion = negotiated !== undefined && negotiated !== PROTOCOL_VERSION ? negotiated : undefined;
  const forPeer = (event: string, result: { ok: boolean; error?: WireError }): { ok: boolean; error?: WireError } => {
    if (olderVersion === undefined) return result;
    if (!result.ok && result.error) return { ...result, error: downgradeMessage('WireError', result.error, olderVersion) as WireError };
    return isRequestName(event) ? (downgradeMessage(Requests[event].result, result, olderVersion) as typeof result) : result;
  };

  const answer = (event: string, ack: Ack | undefined, answered: { ok: boolean; error?: WireError }, slot?: AnswerSlot) => {
    if (!answered.ok && answered.error) options.onRejected?.(event, answered.error);
    const result = forPeer(event, answered);
    if (slot) {
      if (ack) slot.fill(ack, result);
      else if (!result.ok && result.error) slot.fill((r) => socket.emit('protocol.error', r as never), { error: result.error, event: event.slice(0, 256) });
      else slot.fill(undefined, undefined);
      return;
    }
    if (ack) outbox.ack(ack, result);
    else if (!result.ok && result.error) outbox.emit('protocol.error', { error: result.error, event: event.slice(0, 256) });
  };

  for (const name of REQUEST_NAMES) {
    (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(name, (...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as Ack) : undefined;
      const params = ack ? args.slice(0, -1) : args;
      void handle(name, params, ack);
    });
  }

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && isRequestName(event)) return;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : undefined;
    const name = typeof event === 'string' ? event : String(event);
    options.logger.debug({ event: name.slice(0, 64), socketId: socket.id }, 'unknown event');
    answer(
      name,
      ack,
      fail({
        code: ErrorCodes.UnknownEvent,
        message: `Unknown event ${JSON.stringify(name.slice(0, 64))}.`,
        details: { event: name.slice(0, 256) },
        retryable: false,
      }),
    );
  });

  async function handle<E extends RequestName>(event: E, args: unknown[], ack: Ack | undefined): Promise<void> {
    const checked = checkRequest(event, args, options);
    if (!checked.ok) {
      options.logger.debug({ event, socketId: socket.id, code: checked.error.code }, 'rejected inbound message');
      answer(event, ack, fail(checked.error));
      return;
    }
    const refusal = options.refuseAll?.();
    if (refusal) return answer(event, ack, fail(refusal));
    let slot: AnswerSlot | undefined;
    const scope: RequestScope = { reserveAnswer: () => void (slot ??= outbox.reserve()) };
    if (options.inFlight) options.inFlight.count += 1;
    try {
      const handler = handlers[event] as (params: RequestParams<E>, context: Context) => Promise<{ ok: boolean; error?: WireError }>;
      const result = await handler(checked.params, contextFor(scope));
      answer(event, ack, result, slot);
    } catch (error) {
      if (isStoreUnavailable(error)) {
        // Shared storage out of reach: nothing was changed, and the client is told to come back.
        options.logger.warn({ err: error, event, socketId: socket.id }, 'request refused: storage unavailable');
        const wire: WireError = { code: ErrorCodes.Unavailable, message: 'The gateway cannot reach its storage right now; retry shortly.', retryable: true };
        answer(event, ack, fail(error.retryAfterMs !== undefined ? { ...wire, retryAfterMs: error.retryAfterMs } : wire), slot);
        return;
      }
      options.logger.error({ err: error, event, socketId: socket.id }, 'request handler failed');
      answer(event, ack, fail({ code: ErrorCodes.Internal, message: 'The gateway failed to handle this request.', retryable: true }), slot);
    } finally {
      if (options.inFlight) options.inFlight.count -= 1;
    }
  }
}
