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
 * The Socket.IO middleware run at every handshake: validates the auth object, negotiates the
 * protocol version, verifies the token and decides whether the control surface is open.
 */
export function createHandshakeMiddleware(config: HandshakeConfig) {
  const verifyToken = config.auth.verifyToken ?? sharedTokenVerifier(config.token);
  return async (socket: GatewaySocket, next: (err?: ExtendedError) => void): Promise<void> => {
    try {
      const raw: unknown = socket.handshake.auth ?? {};
      const checked = validate('HandshakeAuth', raw);
      if (!checked.ok) return next(handshakeError(invalidMessageError('handshake', checked.issues)));
      const auth = checked.value;
      const requested = auth.protocolVersion ?? PROTOCOL_VERSION;
      const protocolVersion = negotiateProtocolVersion(requested);
      if (protocolVersion === undefined) return next(handshakeError(unsupportedVersionError(requested)));
      const principal = await verifyToken(auth.token);
      if (!principal) {
        return next(handshakeError({ code: ErrorCodes.Unauthorized, message: 'Missing or invalid token.', retryable: false }));
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
