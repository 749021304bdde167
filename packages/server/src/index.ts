export { createGateway, GATEWAY_NAME, GATEWAY_VERSION, type Gateway, type CreateGatewayInternals } from './gateway.js';
export {
  type GatewayOptions,
  type GatewayFaults,
  type RetentionOptions,
  type ResolvedRetention,
  type PressureOptions,
  type HeartbeatOptions,
  resolveRetention,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_DIAGNOSTICS_INTERVAL_MS,
} from './options.js';
export { type Principal, type AuthOptions, sharedTokenVerifier, tokensEqual, forbiddenError, unsupportedVersionError, isAuthorized } from './auth.js';
export { type Agent, type AgentTurn, type AgentOutput, type AgentMessage, delay } from './agent.js';
export { createDemoAgent, type DemoAgentOptions } from './demo-agent.js';
export { createScriptedAgent, Gates } from './scripted-agent.js';
export { type SessionLog, type SessionLogStore, type LogEntry, type LogHead, type LogStats } from './session-log.js';
export { MemorySessionLog, MemorySessionLogStore, eventBytes } from './memory-session-log.js';
export { decideResume, type ResumeDecision, type ResumeRequest, type ResumeFaults } from './resume.js';
export { Lane, type LaneTurn, type LaneEvents } from './lane.js';
export { RunRegistry, newRunId, type RunRecord, type CreateRunInput, type CreateRunOutcome } from './runs.js';
export { RunExecutor, type QueueRunInput } from './run-executor.js';
export { Fanout, deliverAllMirrors, type Member, type MirrorContext, type MirrorDecision, type MirrorPolicy, type FanoutCounters } from './fanout.js';
export { Outbox, type FrameChannel, type AnswerSlot } from './outbox.js';
export { Session, SessionRegistry, type RowChangeReason } from './sessions.js';
export { SessionView } from './session-view.js';
export { SerialQueue } from './serial.js';
export { attachIngress, checkRequest, jsonBytes, type RequestScope } from './ingress.js';
export { ControlSurface, registerCoreControlCommands, type ControlHandler, type ControlCommandOf } from './control.js';
export { DiagnosticsHub, type DiagnosticsSources } from './diagnostics.js';
export { HttpRouter, healthzHandler, contentTypeOf, type RouteHandler } from './http.js';
export { requestHandlers } from './handlers.js';
export { type GatewayCore, type ConnectionContext } from './core.js';
export { type GatewayServer, type GatewaySocket, type SocketData } from './socket-types.js';
export { createPressureMonitor, type PressureMonitor, type PressureMonitorOptions, type WorkloadSnapshot } from './pressure-monitor.js';
export { decideMirror, DEFAULT_SLOW_CONSUMER_BYTES, type MirrorPolicyContext } from './mirror-policy.js';
export {
  createHeartbeatRunner,
  type HeartbeatRunner,
  type HeartbeatRunnerOptions,
  type HeartbeatLane,
  type HeartbeatOutcome,
  type HeartbeatTrigger,
  type QueuedSystemEvent,
} from './heartbeat-runner.js';
export { createMetrics, type GatewayMetrics, type MetricsSource } from './metrics.js';
export { attachRunFeatures, type RunFeatures } from './run-features.js';
