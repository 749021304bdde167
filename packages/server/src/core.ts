import type { Logger } from 'pino';
import type { Agent } from './agent/agent.js';
import type { Fanout, Outbox, SessionListFeed } from './delivery/index.js';
import type { ResolvedRetention } from './log/index.js';
import type { DiagnosticsHub, HeartbeatRunner, PressureMonitor } from './ops/index.js';
import type { Joiner } from './resume/index.js';
import type { RunLifecycle, RunRegistry } from './runs/index.js';
import type { SessionRegistry } from './sessions/index.js';
import type { AuthOptions, Principal } from './transport/auth.js';
import type { ControlSurface } from './transport/control.js';
import type { RequestScope } from './transport/ingress.js';
import type { GatewayServer, GatewaySocket } from './transport/socket-types.js';

/** The services of one gateway, composed by gateway.ts and shared by every connection's handlers. */
export interface GatewayCore {
  io: GatewayServer;
  logger: Logger;
  auth: AuthOptions;
  retention: ResolvedRetention;
  maxPayloadBytes: number;
  sessions: SessionRegistry;
  runs: RunRegistry;
  lifecycle: RunLifecycle;
  joiner: Joiner;
  fanout: Fanout;
  agent: Agent;
  control: ControlSurface;
  pressure: PressureMonitor;
  heartbeats: HeartbeatRunner;
  diagnostics: DiagnosticsHub;
  /** Outboxes of connected sockets, by socket id. */
  outboxes: Map<string, Outbox>;
  /** Who hears of session rows: list subscribers and the followers of each session. */
  listFeed: SessionListFeed;
  /** What one socket may owe (R6.4). */
  delivery: { maxPendingBytes: number; lowWaterBytes: number; slowConsumerGraceMs: number };
  /** Bounds announced in hello.limits beyond the retention and payload ones. */
  limits: { maxQueuedRuns: number; maxSnapshotBytes: number; maxSessionsPerPrincipal: number; maxConnectionsPerPrincipal: number; sessionIdleMs: number };
  /** Monotonic counters of the bounds at work (metrics). */
  counters: { slowConsumersCut: number; sessionsUnloaded: number };
  /** Requests being handled over the whole gateway. */
  inFlight: { count: number };
  /** Set while the gateway drains before closing: new connections and requests are refused. */
  shutdown: { draining: boolean };
}

/** What a request handler knows about the connection it serves. */
export interface ConnectionContext {
  core: GatewayCore;
  socket: GatewaySocket;
  outbox: Outbox;
  principal: Principal;
  controlEnabled: boolean;
  scope: RequestScope;
}
