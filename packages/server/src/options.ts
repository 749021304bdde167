import type http from 'node:http';
import type { Logger } from 'pino';
import type { Agent } from './agent.js';
import type { Principal, AuthOptions } from './auth.js';

/**
 * Deliberate bugs a conformance suite can switch on to prove that its checks fail against a broken
 * gateway. Programmatic only: no CLI flag or environment variable turns them on.
 */
export interface GatewayFaults {
  /** R2.4: since == oldestCursor-1 treated as too old (snapshot). */
  resyncAtOldestMinusOne?: boolean;
  /** R2.4: since > cursor answered resyncRequired:false, nothing replayed. */
  replayNothingWhenAhead?: boolean;
  /** R2.4: since too old: replays what is retained, resyncRequired:false, no snapshot. */
  partialReplayWhenTooOld?: boolean;
  /** R2.1: live stream.chunk frames sent without seq. */
  omitSeqOnChunks?: boolean;
  /** R3.4: terminal session.tool mirrors dropped during back-off. */
  dropTerminalMirrorsUnderPressure?: boolean;
  /** R4.2: terminal sessions.changed broadcast before the projection is cleared. */
  reviveActiveRunAfterTerminal?: boolean;
  /** R5.2: heartbeat on a busy lane aborts the active run. */
  heartbeatInterruptsBusyLane?: boolean;
  /** R5.2: busy-lane skip reported as requests-in-flight. */
  heartbeatGlobalSkipReason?: boolean;
  /** R1.3: join not validated; since coerced with Number(). */
  unvalidatedSince?: boolean;
}

export interface RetentionOptions {
  maxEvents?: number;
  maxBytes?: number;
  maxNonDurableEvents?: number;
  maxNonDurableBytes?: number;
}

export interface ResolvedRetention {
  maxEvents: number;
  maxBytes: number;
  maxNonDurableEvents: number;
  maxNonDurableBytes: number;
}

export interface PressureOptions {
  backoffMs?: number;
  sampleIntervalMs?: number;
  delayThresholdMs?: number;
  enabled?: boolean;
  /** Outgoing bytes buffered for a socket above which it is a slow consumer (non-terminal mirrors dropped). */
  slowConsumerBytes?: number;
}

export interface HeartbeatOptions {
  intervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxInFlight?: number;
  enabled?: boolean;
}

export interface GatewayOptions {
  /** Port to listen on when the gateway creates its own HTTP server (default 0: any free port). */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
  /** Attach to an existing HTTP server instead of creating one; the caller listens and routes. */
  httpServer?: http.Server;
  retention?: RetentionOptions;
  auth?: AuthOptions;
  /** Simple shared-token verifier: a connection must present this token. */
  token?: string;
  /** Enables the control surface for connections presenting this token. Off when absent. */
  controlToken?: string;
  /** The agent that answers chat.send. Default: the deterministic demo agent. */
  agent?: Agent;
  /** Largest inbound message, as JSON bytes. */
  maxPayloadBytes?: number;
  /** Serve static files from this folder at `/` (skipped when it does not exist). */
  staticDir?: string;
  pressure?: PressureOptions;
  heartbeat?: HeartbeatOptions;
  /** How long a chat.send idempotency key maps to its run (default 10 minutes). */
  idempotencyWindowMs?: number;
  /** Period of the `diagnostics` event for subscribers. */
  diagnosticsIntervalMs?: number;
  logger?: Logger | false;
  faults?: GatewayFaults;
  /** Name and version announced in `hello`. */
  gatewayName?: string;
}

/** Retention defaults: see the package README for why these figures. */
export const DEFAULT_MAX_EVENTS = 10_000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;
export const DEFAULT_DIAGNOSTICS_INTERVAL_MS = 5_000;

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Non-durable events share a quarter of each bound unless configured (semantics: Retention). */
export function resolveRetention(options: RetentionOptions | undefined): ResolvedRetention {
  const maxEvents = positiveInteger(options?.maxEvents, DEFAULT_MAX_EVENTS, 'retention.maxEvents');
  const maxBytes = positiveInteger(options?.maxBytes, DEFAULT_MAX_BYTES, 'retention.maxBytes');
  const maxNonDurableEvents = positiveInteger(options?.maxNonDurableEvents, Math.max(1, Math.floor(maxEvents / 4)), 'retention.maxNonDurableEvents');
  const maxNonDurableBytes = positiveInteger(options?.maxNonDurableBytes, Math.max(1, Math.floor(maxBytes / 4)), 'retention.maxNonDurableBytes');
  return { maxEvents, maxBytes, maxNonDurableEvents, maxNonDurableBytes };
}

export type { Principal };
