import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ControlCommandNames,
  ErrorCodes,
  invalidMessageError,
  validate,
  type ControlCommand,
  type ControlCommandName,
  type ControlData,
  type ControlResult,
  type ErrorCode,
  type ErrorDetails,
  type Hello,
  type ProtocolErrorEvent,
  type WireError,
} from '@agent-gateway/schema';

/**
 * The part of a Socket.IO server socket the control surface uses. A `socket.io` Socket fits; so
 * does anything else that exposes the handshake `auth` object, `on` and `emit`.
 */
export interface ControlSocket {
  readonly handshake: { readonly auth?: unknown };
  on(event: 'control', listener: (...args: unknown[]) => void): unknown;
  emit(event: 'protocol.error', payload: ProtocolErrorEvent): unknown;
}

export type ControlCommandOf<T extends ControlCommandName> = Extract<ControlCommand, { type: T }>;

/** What a handler answers: the `ControlData` fields its command reports, without `type`. */
export type ControlAnswer = Omit<ControlData, 'type' | 'commands'>;

export type ControlHandler<T extends ControlCommandName, S> = (command: ControlCommandOf<T>, socket: S) => ControlAnswer | void | Promise<ControlAnswer | void>;

/** One optional handler per command; `capabilities` is answered from this table. */
export type ControlHandlers<S> = { [T in Exclude<ControlCommandName, 'capabilities'>]?: ControlHandler<T, S> };

export interface ControlSurfaceOptions<S> {
  /**
   * The control token a connection presents as the handshake's `auth.controlToken`. Without one
   * (undefined or empty) the surface is off for everybody: every command answers CONTROL_DISABLED.
   */
  token: string | undefined;
  handlers: ControlHandlers<S>;
}

/** Thrown by a handler to refuse a command with a protocol error code instead of INTERNAL. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }
}

export interface ControlSurface<S> {
  /** The commands this gateway implements: `capabilities` plus every command with a handler. */
  readonly commands: readonly ControlCommandName[];
  /** Did this connection present the control token? */
  enabledFor(socket: S): boolean;
  /** The `control` member of this connection's `hello`. */
  hello(socket: S): Hello['control'];
  /** Answer `control` requests on this socket (call once per connection). */
  attach(socket: S): void;
  /** Answer one `control` request: for gateways that route requests through their own dispatcher. */
  handle(socket: S, params: unknown): Promise<ControlResult>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time comparison of digests, so neither the content nor the length of the token leaks through timing. */
function sameToken(given: unknown, expected: Buffer): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), expected);
}

function failure(error: WireError): ControlResult {
  return { ok: false, error };
}

/**
 * The conformance control surface for a Node gateway on Socket.IO, in a few lines:
 *
 * ```ts
 * const control = createControlSurface({ token: process.env.CONTROL_TOKEN, handlers: { 'session.append': (cmd) => … } });
 * io.on('connection', (socket) => {
 *   control.attach(socket);
 *   socket.emit('hello', { …, control: control.hello(socket) });
 * });
 * ```
 *
 * It validates every command against the schema (INVALID_MESSAGE naming the paths), guards the
 * surface with the handshake's `controlToken` (CONTROL_DISABLED without it), answers
 * `capabilities` from the handlers given and CONTROL_UNSUPPORTED for the rest, checks what each
 * handler answers against `ControlData`, and turns a thrown ControlError into that error.
 */
export function createControlSurface<S extends ControlSocket>(options: ControlSurfaceOptions<S>): ControlSurface<S> {
  const expected = options.token ? digest(options.token) : undefined;
  const handlers = options.handlers as Partial<Record<ControlCommandName, ControlHandler<ControlCommandName, S>>>;
  const commands = ControlCommandNames.filter((name) => name === 'capabilities' || typeof handlers[name] === 'function');

  const enabledFor = (socket: S): boolean => {
    if (!expected) return false;
    const auth = socket.handshake.auth;
    return typeof auth === 'object' && auth !== null && sameToken((auth as { controlToken?: unknown }).controlToken, expected);
  };

  async function handle(socket: S, params: unknown): Promise<ControlResult> {
    const checked = validate('ControlCommand', params);
    if (!checked.ok) return failure(invalidMessageError('control', checked.issues));
    const command = checked.value;
    if (!enabledFor(socket))
      return failure({ code: ErrorCodes.ControlDisabled, message: 'The control surface is not enabled for this connection.', retryable: false });
    if (command.type === 'capabilities') return { ok: true, data: { type: 'capabilities', commands: [...commands] } };
    const handler = handlers[command.type];
    if (!handler) {
      return failure({
        code: ErrorCodes.ControlUnsupported,
        message: `This gateway does not implement control command ${command.type}.`,
        details: { command: command.type },
        retryable: false,
      });
    }
    try {
      const answer = (await handler(command, socket)) ?? {};
      const data = { ...answer, type: command.type };
      const valid = validate('ControlData', data);
      if (!valid.ok) {
        return failure({
          code: ErrorCodes.Internal,
          message: `The handler of ${command.type} answered data that does not match ControlData.`,
          details: { command: command.type, issues: valid.issues },
          retryable: false,
        });
      }
      return { ok: true, data: valid.value };
    } catch (error) {
      if (error instanceof ControlError) return failure({ code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
      return failure({ code: ErrorCodes.Internal, message: `The handler of ${command.type} failed.`, details: { command: command.type }, retryable: true });
    }
  }

  return {
    commands,
    enabledFor,
    hello: (socket) => ({ enabled: enabledFor(socket), commands: expected ? [...commands] : [] }),
    handle,
    attach(socket) {
      socket.on('control', (...args: unknown[]) => {
        const last = args[args.length - 1];
        const ack = typeof last === 'function' ? (last as (result: ControlResult) => void) : undefined;
        const params = ack ? args.slice(0, -1) : args;
        const answer = (result: ControlResult) => {
          if (ack) ack(result);
          else if (!result.ok) socket.emit('protocol.error', { error: result.error, event: 'control' });
        };
        if (params.length !== 1) {
          answer(
            failure(invalidMessageError('control', [{ path: '', message: `expects exactly one params argument, got ${params.length}`, keyword: 'arguments' }])),
          );
          return;
        }
        void handle(socket, params[0]).then(answer);
      });
    },
  };
}
