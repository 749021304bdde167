import type http from 'node:http';
import type { Logger } from 'pino';
import type { Agent } from './agent/index.js';
import type { MirrorRule } from './delivery/index.js';
import type { GatewayEngine } from './engine.js';
import type { RetentionOptions, SessionLogStore } from './log/index.js';
import type { HeartbeatOptions } from './ops/index.js';
import type { AuthOptions } from './transport/auth.js';
import type { HandshakeThrottleOptions } from './transport/handshake-throttle.js';
import type { OriginPolicy } from './transport/origins.js';

export interface PressureOptions {
  /** Length of a back-off window, extended while pressure lasts (default 60 s). */
  backoffMs?: number;
  /** How often event-loop delay is sampled (default 1 s). */
  sampleIntervalMs?: number;
  /** p99 event-loop delay above which the loop counts as saturated (default 200 ms). */
  delayThresholdMs?: number;
  enabled?: boolean;
  /**
   * Pending output of a socket (queued plus transport buffers) above which it is a slow consumer:
   * its non-terminal tool mirrors are withheld. Default 1 MiB.
   */
  slowConsumerBytes?: number;
}

/** Bounds of what one socket may owe (R6.4). */
export interface DeliveryOptions {
  /**
   * Pending output of one socket, in bytes, past which the gateway disconnects it with
   * SLOW_CONSUMER instead of buffering more. It must hold the largest answer to a join (a replay
   * of the whole log, a snapshot). Default: that plus 4 MiB, at least 16 MiB (`maxPendingBytesFor`;
   * about 22 MiB with the default retention).
   */
  maxPendingBytes?: number;
  /** How long a cut socket may take to read its SLOW_CONSUMER notice before it is dropped (default 10 s). */
  slowConsumerGraceMs?: number;
}

/** How many sessions the gateway holds, and for how long (R6.4). */
export interface SessionOptions {
  /** A session with no member, no run and no activity for this long is unloaded (default 10 minutes). */
  idleMs?: number;
  /** How often idle sessions are looked for (default: a quarter of idleMs, between 1 s and 60 s). */
  sweepIntervalMs?: number;
  /** Sessions loaded at once (default 10,000). */
  maxSessions?: number;
  /** Sessions one principal's requests may have created and loaded at once (default 1,000). */
  maxSessionsPerPrincipal?: number;
}

/** Who hears of session rows (sessions.subscribe) and how creation storms are coalesced. */
export interface SessionListOptions {
  /** Creation notices a list subscriber gets one by one per window (default 20). */
  maxCreatedPerWindow?: number;
  /** Length of that window (default 1 s). */
  windowMs?: number;
}

export interface GatewayOptions {
  /** Port to listen on when the gateway creates its own HTTP server (default 0: any free port). */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
  /** Attach to an existing HTTP server instead of creating one; the caller listens and routes. */
  httpServer?: http.Server;
  retention?: RetentionOptions;
  /** Where session logs live (default: in this process's memory). */
  store?: SessionLogStore;
  /**
   * Share sessions with other gateways (e.g. `redisEngine(...)` from `@agent-gateway/server/redis`):
   * the engine brings the store, live fan-out across gateways, one run at a time per session, shared
   * rows and idempotency. Exclusive with `store`. The gateway starts and closes it.
   */
  engine?: GatewayEngine;
  auth?: AuthOptions;
  /** Simple shared-token verifier: a connection must present this token. */
  token?: string;
  /** Enables the control surface for connections presenting this token (handshake `controlToken`). Off when absent. */
  controlToken?: string;
  /** The agent that answers chat.send. Default: the deterministic demo agent. */
  agent?: Agent;
  /** Largest inbound message, as JSON bytes. */
  maxPayloadBytes?: number;
  /** Agent runs that may wait in one session lane; past it chat.send answers BUSY (default 16). */
  maxQueuedRuns?: number;
  /** JSON size a snapshot stays within: the oldest messages and events are left out first (default 4 MiB, at least 64 KiB). */
  maxSnapshotBytes?: number;
  /** JSON size of the conversation each session keeps for snapshots and agent history (default 4 MiB). */
  maxConversationBytes?: number;
  /** Serve static files from this folder at `/` (skipped when it does not exist). */
  staticDir?: string;
  pressure?: PressureOptions;
  /** Which session.tool mirrors may be withheld (default: the protocol's rule, `decideMirror`). */
  mirrorRule?: MirrorRule;
  heartbeat?: HeartbeatOptions;
  /** How long a chat.send idempotency key maps to its run (default 10 minutes). */
  idempotencyWindowMs?: number;
  /** Period of the `diagnostics` event for subscribers. */
  diagnosticsIntervalMs?: number;
  logger?: Logger | false;
  /** Name announced in `hello`. */
  gatewayName?: string;
  delivery?: DeliveryOptions;
  sessions?: SessionOptions;
  sessionList?: SessionListOptions;
  /** Connections one principal may hold at once (default 1,000). */
  maxConnectionsPerPrincipal?: number;
  /** Failed handshakes are slowed per address (default on); false turns the throttle off. */
  handshakeThrottle?: HandshakeThrottleOptions | false;
  /**
   * Browser origins allowed to use the gateway: same origin only by default; a list adds origins
   * (`https://app.example.com`); `'*'` allows any. Requests without `Origin` (non-browser clients) are
   * not concerned.
   */
  corsOrigins?: OriginPolicy;
  /** When set, GET /metrics answers only requests with `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Serve GET /metrics (default true). */
  metrics?: boolean;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
export const DEFAULT_MAX_QUEUED_RUNS = 16;
export const DEFAULT_MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;
export const MIN_SNAPSHOT_BYTES = 64 * 1024;
export const DEFAULT_MAX_CONVERSATION_BYTES = 4 * 1024 * 1024;
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;
export const DEFAULT_DIAGNOSTICS_INTERVAL_MS = 5_000;
