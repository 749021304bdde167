/*
 * Transport: what faces the wire — the handshake (authentication, version), the connection and
 * its validated inbound side, the request table, the control surface, plain HTTP.
 */
export {
  createHandshakeMiddleware,
  sharedTokenVerifier,
  tokensEqual,
  forbiddenError,
  unsupportedVersionError,
  isAuthorized,
  type Principal,
  type AuthOptions,
} from './auth.js';
export { acceptConnection, type ConnectionOptions } from './connection.js';
export { attachIngress, checkRequest, jsonBytes, type RequestScope, type RequestValidator, type IngressOptions } from './ingress.js';
export { requestHandlers } from './handlers.js';
export { ControlSurface, type ControlHandler, type ControlCommandOf } from './control.js';
export { registerControlCommands } from './control-commands.js';
export { HttpRouter, healthzHandler, contentTypeOf, type RouteHandler, type HealthCheck } from './http.js';
export type { GatewayServer, GatewaySocket, SocketData } from './socket-types.js';
export {
  parseTokenFile,
  loadTokenFile,
  principalRulesAuth,
  reservedPrefixAuth,
  matchesPattern,
  sha256Hex,
  type PrincipalRule,
  type PrincipalRulesOptions,
} from './principal-rules.js';
export { isOriginAllowed, resolveOriginPolicy, normalizeOrigin, type OriginPolicy } from './origins.js';
export { HandshakeThrottle, type HandshakeThrottleOptions, type ResolvedHandshakeThrottle, type Admission } from './handshake-throttle.js';
export { ConnectionCounter, DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL } from './connection-limits.js';
