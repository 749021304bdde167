/*
 * `@agent-gateway/server`: what an embedder uses. The engine (fan-out, outboxes, lanes, the run
 * registry, ingress) stays internal; `@agent-gateway/server/testing` reaches it for tests.
 */
export { createGateway, GATEWAY_NAME, GATEWAY_VERSION, type Gateway } from './gateway.js';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_DIAGNOSTICS_INTERVAL_MS,
  type GatewayOptions,
  type PressureOptions,
} from './options.js';
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
