import { timingSafeEqual } from 'node:crypto';
import {
  ErrorCodes,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  invalidMessageError,
  negotiateProtocolVersion,
  validate,
  type WireError,
} from '@agent-gateway/schema';
import type { ExtendedError } from 'socket.io';
import { limitExceeded } from '../sessions/limits.js';
import type { ConnectionCounter } from './connection-limits.js';
import type { HandshakeThrottle } from './handshake-throttle.js';
import type { GatewaySocket, SocketData } from './socket-types.js';

/** Who is on the other end of a connection, as the token verifier established it. */
export interface Principal {
  id: string;
  [key: string]: unknown;
}

export interface AuthOptions {
  /** Returns the principal for a handshake token, or null to refuse the connection. */
  verifyToken?(token: string | undefined): Principal | null | Promise<Principal | null>;
  /** May this principal use that session? Refusals look the same whether the session exists or not. */
  authorizeSession?(principal: Principal, sessionId: string): boolean | Promise<boolean>;
}

export interface HandshakeConfig {
  auth: AuthOptions;
  token: string | undefined;
  controlToken: string | undefined;
  /** Slows failed handshakes per address and closes connections that keep failing. */
  throttle?: HandshakeThrottle;
  /** Bounds connections per principal. */
  connections?: ConnectionCounter;
  /** An error to refuse every handshake with (a gateway shutting down). */
  refuse?(): WireError | undefined;
}

/** Constant-time comparison so a token cannot be guessed byte by byte from timings. */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The verifier used when none is configured: the shared token if set, otherwise everyone is anonymous. */
export function sharedTokenVerifier(token: string | undefined): NonNullable<AuthOptions['verifyToken']> {
  if (token === undefined) return () => ({ id: 'anonymous' });
  return (given) => (tokensEqual(given, token) ? { id: 'token' } : null);
}

/** A connect_error: Socket.IO puts `message` and `data` on the client's error object. */
export function handshakeError(error: WireError): ExtendedError {
  const err = new Error(error.code) as ExtendedError;
  err.data = error;
  return err;
}

export function unsupportedVersionError(requested: string): WireError {
  return {
    code: ErrorCodes.UnsupportedProtocolVersion,
    message: `Protocol version ${requested.slice(0, 32)} is not supported; this gateway serves ${SUPPORTED_VERSIONS.min} to ${SUPPORTED_VERSIONS.max}.`,
    details: { supported: { ...SUPPORTED_VERSIONS } },
    retryable: false,
  };
}

export function forbiddenError(): WireError {
  // Deliberately the same text for every refusal: it must not tell whether the session exists.
  return { code: ErrorCodes.Forbidden, message: 'Not allowed to use this session.', retryable: false };
}

/**
 * Close the connection once the refusal is on its way: Socket.IO sends a middleware's error on the
 * next tick, and drops it if the connection is closing by then.
 */
function closeAfterRefusal(socket: GatewaySocket): void {
  setImmediate(() => socket.conn.close());
}

/** Failed handshakes per engine.io connection: one connection can try the namespace again and again. */
const failuresByConnection = new WeakMap<object, number>();

/**
 * The Socket.IO middleware run at every handshake: refuses addresses that are guessing tokens,
 * validates the auth object, negotiates the protocol version, verifies the token, bounds the
 * principal's connections and decides whether the control surface is open.
 */
export function createHandshakeMiddleware(config: HandshakeConfig) {
  const verifyToken = config.auth.verifyToken ?? sharedTokenVerifier(config.token);
  const { throttle } = config;
  /** Refuse after the throttle's delay; a connection that keeps failing is closed after its refusal. */
  const refuseFailed = async (socket: GatewaySocket, next: (err?: ExtendedError) => void, error: WireError): Promise<void> => {
    if (!throttle) return next(handshakeError(error));
    await throttle.failed(socket.handshake.address);
    next(handshakeError(error));
    const failures = (failuresByConnection.get(socket.conn) ?? 0) + 1;
    failuresByConnection.set(socket.conn, failures);
    if (failures >= throttle.settings.maxFailuresPerConnection) closeAfterRefusal(socket);
  };
  return async (socket: GatewaySocket, next: (err?: ExtendedError) => void): Promise<void> => {
    try {
      const refusal = config.refuse?.();
      if (refusal) return next(handshakeError(refusal));
      if (throttle) {
        const admission = throttle.admit(socket.handshake.address);
        if (!admission.admitted) {
          next(
            handshakeError(
              limitExceeded('failedHandshakes', throttle.settings.maxPendingPerAddress, 'Too many failed handshakes from this address; try again later.', {
                retryAfterMs: admission.retryAfterMs,
              }),
            ),
          );
          closeAfterRefusal(socket);
          return;
        }
      }
      const raw: unknown = socket.handshake.auth ?? {};
      const checked = validate('HandshakeAuth', raw);
      if (!checked.ok) return next(handshakeError(invalidMessageError('handshake', checked.issues)));
      const auth = checked.value;
      const requested = auth.protocolVersion ?? PROTOCOL_VERSION;
      const protocolVersion = negotiateProtocolVersion(requested);
      if (protocolVersion === undefined) return next(handshakeError(unsupportedVersionError(requested)));
      const principal = await verifyToken(auth.token);
      if (!principal) return await refuseFailed(socket, next, { code: ErrorCodes.Unauthorized, message: 'Missing or invalid token.', retryable: false });
      if (config.connections && !config.connections.take(principal.id, socket)) {
        const max = config.connections.maxPerPrincipal;
        return next(
          handshakeError(limitExceeded('connectionsPerPrincipal', max, `This principal already holds ${max} connections, its limit; close one first.`)),
        );
      }
      const data: SocketData = {
        principal,
        protocolVersion,
        controlEnabled: config.controlToken !== undefined && tokensEqual(auth.controlToken, config.controlToken),
      };
      Object.assign(socket.data, data);
      next();
    } catch {
      next(handshakeError({ code: ErrorCodes.Internal, message: 'Handshake failed.', retryable: true }));
    }
  };
}

export async function isAuthorized(auth: AuthOptions, principal: Principal, sessionId: string): Promise<boolean> {
  if (!auth.authorizeSession) return true;
  try {
    return (await auth.authorizeSession(principal, sessionId)) === true;
  } catch {
    return false;
  }
}

/** Which rows of the session list a principal may see, for its list subscription. */
export function listVisibility(auth: AuthOptions, principal: Principal): (sessionId: string) => boolean | Promise<boolean> {
  const { authorizeSession } = auth;
  if (!authorizeSession) return () => true;
  return (sessionId) => {
    // A refusal or a failing authoriser hides the row, as in sessions.list.
    try {
      const answer = authorizeSession(principal, sessionId);
      return typeof answer === 'boolean'
        ? answer
        : Promise.resolve(answer).then(
            (ok) => ok === true,
            () => false,
          );
    } catch {
      return false;
    }
  };
}
