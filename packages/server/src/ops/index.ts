/*
 * Operations: the gateway watching itself — pressure and the tool-mirror back-off, heartbeats of
 * session lanes, diagnostics and Prometheus metrics.
 */
export { createPressureMonitor, type PressureMonitor, type PressureMonitorOptions, type WorkloadSnapshot } from './pressure-monitor.js';
export {
  createHeartbeatRunner,
  skipBusyLanes,
  type HeartbeatRunner,
  type HeartbeatRunnerOptions,
  type HeartbeatLane,
  type HeartbeatOutcome,
  type HeartbeatTrigger,
  type HeartbeatRule,
  type HeartbeatSituation,
  type HeartbeatDecision,
  type QueuedSystemEvent,
} from './heartbeat-runner.js';
export { createGatewayHeartbeats, type HeartbeatOptions } from './heartbeats.js';
export { DiagnosticsHub, type DiagnosticsSources } from './diagnostics.js';
export { createMetrics, type GatewayMetrics, type MetricsSource } from './metrics.js';
export { waitUntilDrained, shuttingDownError, DEFAULT_DRAIN_MS, type DrainState } from './shutdown.js';
