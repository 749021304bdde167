import type { SessionsChanged } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayCore } from './core.js';
import type { LogHead, ResolvedRetention, SessionLogStore } from './log/index.js';
import type { LaneGate, RunCoordinator, RunRecord } from './runs/index.js';
import type { RowStore, Session, SessionFeed } from './sessions/index.js';
import type { HealthCheck } from './transport/index.js';

/** What the composition root tells an engine when it starts it. */
export interface EngineContext {
  retention: ResolvedRetention;
  logger: Logger;
  /** How long an idempotency key names its run. */
  idempotencyWindowMs: number;
}

/** What the composition root hands an engine once every service exists. */
export interface EngineBinding {
  core: GatewayCore;
  /** Deliver a sessions.changed to this gateway's sockets (with the authorisation filter). */
  emitRowChange(change: SessionsChanged): void;
  /** The gateway's metrics registry, for the engine's own series. */
  metrics: Registry;
}

/**
 * The pieces a gateway swaps in to share its sessions with other gateways. Each one plugs into the
 * seam of the service it changes; the in-memory gateway has none of them.
 */
export interface EngineServices {
  store: SessionLogStore;
  /** `hello.gateway.instanceId`: the same for every gateway sharing the state. */
  instanceId: string;
  newRunId(): string;
  feed: SessionFeed;
  rows: RowStore;
  laneGate(sessionId: string): LaneGate;
  coordinator: RunCoordinator;
  /** Bring a session's view and members up to `head` before a join is answered. */
  catchUp(session: Session, head: LogHead): Promise<void>;
  /** A run of this gateway was created or changed status. */
  runChanged(run: RunRecord): void;
  /** Claim this period's heartbeat of a session for this gateway (false: another one runs it). */
  claimHeartbeat(sessionId: string, intervalMs: number): Promise<boolean>;
  /** Broadcast a row change to every gateway (each delivers it to its own sockets). */
  publishRow(change: SessionsChanged): void;
  health: HealthCheck;
  bind(binding: EngineBinding): void;
  /** Stop timers and subscriptions, free what this gateway holds, close connections. */
  close(): Promise<void>;
}

/**
 * A multi-gateway engine, passed as `createGateway({ engine })` (e.g. `redisEngine(...)` from
 * `@agent-gateway/server/redis`). Started once by the gateway it is given to.
 */
export interface GatewayEngine {
  readonly name: string;
  start(context: EngineContext): Promise<EngineServices>;
}
