/*
 * `@agent-gateway/server`: what an embedder uses. The engine (fan-out, outboxes, lanes, the run
 * registry, ingress) stays internal; `@agent-gateway/server/testing` reaches it for tests.
 */
export { createGateway, GATEWAY_NAME, GATEWAY_VERSION, DEFAULT_DRAIN_MS, type Gateway } from './gateway.js';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_DIAGNOSTICS_INTERVAL_MS,
  type GatewayOptions,
  type PressureOptions,
  type DeliveryOptions,
  type SessionOptions,
  type SessionListOptions,
} from './options.js';
export { maxPendingBytesFor, DEFAULT_SLOW_CONSUMER_GRACE_MS, DEFAULT_MAX_CREATED_PER_WINDOW, DEFAULT_LIST_WINDOW_MS } from './delivery/index.js';
export { DEFAULT_SESSION_IDLE_MS, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_PRINCIPAL } from './sessions/index.js';
export {
  DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL,
  parseTokenFile,
  loadTokenFile,
  principalRulesAuth,
  reservedPrefixAuth,
  type PrincipalRule,
  type PrincipalRulesOptions,
  type OriginPolicy,
  type HandshakeThrottleOptions,
} from './transport/index.js';
export type { HeartbeatOptions } from './ops/index.js';
export type { GatewayEngine, EngineContext, EngineServices, EngineBinding } from './engine.js';
export { delay, createDemoAgent, type Agent, type AgentTurn, type AgentOutput, type AgentMessage, type DemoAgentOptions } from './agent/index.js';
export {
  MemorySessionLogStore,
  newEpoch,
  eventBytes,
  resolveRetention,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_BYTES,
  type SessionLog,
  type SessionLogStore,
  type LogEntry,
  type LogHead,
  type LogStats,
  type RetentionOptions,
  type ResolvedRetention,
  StoreUnavailableError,
  isStoreUnavailable,
} from './log/index.js';
export { sharedTokenVerifier, tokensEqual, type Principal, type AuthOptions } from './transport/auth.js';
export { decideMirror, DEFAULT_SLOW_CONSUMER_BYTES, type MirrorRule, type MirrorRuleContext, type MirrorDecision } from './delivery/index.js';
