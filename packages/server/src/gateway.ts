import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { PROTOCOL_VERSION } from '@agent-gateway/schema';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createDemoAgent } from './agent/index.js';
import type { GatewayCore } from './core.js';
import {
  DEFAULT_LIST_WINDOW_MS,
  DEFAULT_LOW_WATER_BYTES,
  DEFAULT_MAX_CREATED_PER_WINDOW,
  DEFAULT_SLOW_CONSUMER_BYTES,
  DEFAULT_SLOW_CONSUMER_GRACE_MS,
  maxPendingBytesFor,
  Fanout,
  pressureAwareMirrorPolicy,
  SessionListFeed,
  type BatchWriter,
} from './delivery/index.js';
import { MemorySessionLogStore, positiveInteger, resolveRetention, type LogHead } from './log/index.js';
import {
  createGatewayHeartbeats,
  createMetrics,
  createPressureMonitor,
  DEFAULT_DRAIN_MS,
  DiagnosticsHub,
  shuttingDownError,
  waitUntilDrained,
  type HeartbeatRule,
  type WorkloadSnapshot,
} from './ops/index.js';
import {
  DEFAULT_DIAGNOSTICS_INTERVAL_MS,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_CONVERSATION_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_QUEUED_RUNS,
  DEFAULT_MAX_SNAPSHOT_BYTES,
  MIN_SNAPSHOT_BYTES,
  type GatewayOptions,
} from './options.js';
import { Joiner, type ResumeRule } from './resume/index.js';
import { RunLifecycle, RunRegistry, type RunEndOrder } from './runs/index.js';
import {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  DEFAULT_SESSION_IDLE_MS,
  defaultSweepIntervalMs,
  IdleSweeper,
  SessionRegistry,
  type Session,
} from './sessions/index.js';
import {
  acceptConnection,
  ConnectionCounter,
  ControlSurface,
  createHandshakeMiddleware,
  DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL,
  HandshakeThrottle,
  healthzHandler,
  HttpRouter,
  isOriginAllowed,
  registerControlCommands,
  resolveOriginPolicy,
  tokensEqual,
  type GatewayServer,
  type RequestValidator,
} from './transport/index.js';

export const GATEWAY_NAME = 'agent-gateway-reference';
export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** http://host:port once listening (for an attached server: its address when known). */
  url: string;
  io: GatewayServer;
  httpServer: http.Server;
  /** Plain HTTP routes and static files (only wired when the gateway created the server). */
  http: HttpRouter;
  /**
   * Stop. With `drainMs`, drain first: refuse new connections and requests, wait up to that long
   * for requests in flight, running turns and queued output, then tell every client SHUTTING_DOWN
   * before closing its connection. Without it, close at once.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

export { DEFAULT_DRAIN_MS };

/**
 * The rules a gateway is built from that are not options: each has the protocol's behaviour as
 * its default. Swapping one is how a deliberately broken gateway is built for testing a conformance
 * suite (`@agent-gateway/server/testing`); production code has no other way to change them.
 */
export interface GatewayPieces {
  resumeRule: ResumeRule;
  heartbeatRule: HeartbeatRule;
  validateRequest: RequestValidator;
  runEndOrder: RunEndOrder;
  writeBatch: BatchWriter;
}

/** The services behind each gateway, for `@agent-gateway/server/testing` to inspect. */
const cores = new WeakMap<Gateway, GatewayCore>();

export function coreOf(gateway: Gateway): GatewayCore {
  const core = cores.get(gateway);
  if (!core) throw new TypeError('not a gateway created by createGateway');
  return core;
}

/** Create a gateway, listening on its own HTTP server unless `options.httpServer` is given. */
export function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  return composeGateway(options, {});
}

function createLogger(option: Logger | false | undefined): Logger {
  if (option === false) return pino({ enabled: false });
  return option ?? pino({ name: 'agent-gateway' });
}

/** The composition root: every service of the gateway, built in dependency order. */
export async function composeGateway(options: GatewayOptions, pieces: Partial<GatewayPieces>): Promise<Gateway> {
  const logger = createLogger(options.logger);
  const retention = resolveRetention(options.retention);
  const maxPayloadBytes = positiveInteger(options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes');
  const runLimits = {
    maxQueuedRuns: positiveInteger(options.maxQueuedRuns, DEFAULT_MAX_QUEUED_RUNS, 'maxQueuedRuns'),
    maxSnapshotBytes: Math.max(MIN_SNAPSHOT_BYTES, positiveInteger(options.maxSnapshotBytes, DEFAULT_MAX_SNAPSHOT_BYTES, 'maxSnapshotBytes')),
  };
  const auth = options.auth ?? {};
  const idempotencyWindowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  if (options.engine && options.store) throw new TypeError('give either engine or store: an engine brings its own store');
  // An engine shares sessions with other gateways; it brings the store and the seams below.
  const engine = options.engine ? await options.engine.start({ retention, logger, idempotencyWindowMs }) : undefined;
  // A store passed in is the caller's to close; the in-memory default is ours.
  const ownStore = options.store || engine ? undefined : new MemorySessionLogStore(retention);
  const store = engine?.store ?? options.store ?? ownStore!;
  const instanceId = engine?.instanceId ?? randomUUID();
  const maxPendingBytes = positiveInteger(options.delivery?.maxPendingBytes, maxPendingBytesFor(retention), 'delivery.maxPendingBytes');
  const delivery = {
    maxPendingBytes,
    // Below the bound, so a slow reader is noticed while there is still room to withhold mirrors.
    lowWaterBytes: Math.max(1, Math.min(DEFAULT_LOW_WATER_BYTES, Math.floor(maxPendingBytes / 4))),
    slowConsumerGraceMs: positiveInteger(options.delivery?.slowConsumerGraceMs, DEFAULT_SLOW_CONSUMER_GRACE_MS, 'delivery.slowConsumerGraceMs'),
  };
  const sessionIdleMs = positiveInteger(options.sessions?.idleMs, DEFAULT_SESSION_IDLE_MS, 'sessions.idleMs');
  const sessionLimits = {
    maxSessions: positiveInteger(options.sessions?.maxSessions, DEFAULT_MAX_SESSIONS, 'sessions.maxSessions'),
    maxSessionsPerPrincipal: positiveInteger(options.sessions?.maxSessionsPerPrincipal, DEFAULT_MAX_SESSIONS_PER_PRINCIPAL, 'sessions.maxSessionsPerPrincipal'),
  };
  const connections = new ConnectionCounter(options.maxConnectionsPerPrincipal ?? DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL);
  const throttle = options.handshakeThrottle === false ? undefined : new HandshakeThrottle(options.handshakeThrottle);
  const originPolicy = resolveOriginPolicy(options.corsOrigins);
  const shutdown = { draining: false };

  // HTTP and Socket.IO.
  const router = new HttpRouter();
  router.route(
    'GET',
    '/healthz',
    healthzHandler(() => shutdown.draining, engine?.health),
  );
  if (options.staticDir && !options.httpServer) {
    const serving = await router.serveStatic(options.staticDir);
    if (!serving) logger.info({ staticDir: options.staticDir }, 'static folder not found; not serving static files');
  }
  const ownServer = !options.httpServer;
  const httpServer = options.httpServer ?? http.createServer(router.handle);
  // Socket.IO closes a connection whose packet exceeds maxHttpBufferSize; keep that well above the
  // protocol limit so an oversized message is answered with PAYLOAD_TOO_LARGE instead. Browser
  // origins outside the allowlist get no CORS grant and no handshake, on polling and WebSocket alike.
  const io: GatewayServer = new Server(httpServer, {
    maxHttpBufferSize: Math.max(maxPayloadBytes * 4, maxPayloadBytes + 1024 * 1024),
    serveClient: false,
    cors: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, { origin: origin !== undefined && isOriginAllowed(originPolicy, origin, req) ? origin : false });
    },
    allowRequest: (req, callback) => {
      if (isOriginAllowed(originPolicy, req.headers.origin, req)) callback(null, true);
      else callback('origin not allowed', false);
    },
  });
  const outboxes: GatewayCore['outboxes'] = new Map();

  // Runs and pressure: queued work is everything the gateway still owes — turns running or waiting
  // and frames not yet handed to Socket.IO. A saturated loop with none of it is not worth backing off for.
  const runs = new RunRegistry({
    idempotencyWindowMs,
    ...(engine ? { newRunId: () => engine.newRunId(), changed: (run) => engine.runChanged(run) } : {}),
  });
  const counters = { slowConsumersCut: 0, sessionsUnloaded: 0 };
  const inFlight = { count: 0 };
  const workload = (): WorkloadSnapshot => {
    const counts = runs.counts();
    let pendingFrames = 0;
    for (const outbox of outboxes.values()) pendingFrames += outbox.pendingFrames;
    return { active: counts.running, waiting: counts.queued, queued: counts.running + counts.queued + pendingFrames };
  };
  const pressure = createPressureMonitor({
    queuedWork: workload,
    ...(options.pressure?.backoffMs !== undefined ? { backoffMs: options.pressure.backoffMs } : {}),
    ...(options.pressure?.sampleIntervalMs !== undefined ? { sampleIntervalMs: options.pressure.sampleIntervalMs } : {}),
    ...(options.pressure?.delayThresholdMs !== undefined ? { delayThresholdMs: options.pressure.delayThresholdMs } : {}),
    onBackoffChange: (active) =>
      logger.info({ backoffActive: active, pressure: workload() }, active ? 'tool-mirror back-off opened' : 'tool-mirror back-off closed'),
  });

  // Delivery: appended events to joined sockets; mirrors follow the pressure-aware rule.
  const fanout = new Fanout({
    isRunScoped: (runId, socketId) => runs.isScoped(runId, socketId),
    mirrorPolicy: pressureAwareMirrorPolicy(pressure, options.pressure?.slowConsumerBytes ?? DEFAULT_SLOW_CONSUMER_BYTES, options.mirrorRule),
  });

  // Session rows go to list subscribers and to the followers of each session, never to everyone.
  const listFeed = new SessionListFeed({
    membersOf: (sessionId) => [...fanout.members(sessionId).values()].map((member) => member.outbox),
    maxCreatedPerWindow: positiveInteger(options.sessionList?.maxCreatedPerWindow, DEFAULT_MAX_CREATED_PER_WINDOW, 'sessionList.maxCreatedPerWindow'),
    windowMs: positiveInteger(options.sessionList?.windowMs, DEFAULT_LIST_WINDOW_MS, 'sessionList.windowMs'),
  });

  // Sessions, their runs and their joins; idle ones are unloaded. With an engine, row changes go
  // to every gateway first, and each sends them to its own followers of the list.
  const sessions = new SessionRegistry({
    store,
    logger,
    limits: sessionLimits,
    maxConversationBytes: positiveInteger(options.maxConversationBytes, DEFAULT_MAX_CONVERSATION_BYTES, 'maxConversationBytes'),
    deliver: (session, entries) => fanout.deliver(session.id, session.epoch, entries),
    epochChanged: (session) => fanout.restartSession(session.id),
    rowChanged: engine ? (change) => engine.publishRow(change) : (change) => listFeed.publish(change),
    ...(engine ? { feed: engine.feed, rows: engine.rows, laneGate: (sessionId: string) => engine.laneGate(sessionId) } : {}),
  });
  sessions.events.on('unloaded', (sessionId) => {
    counters.sessionsUnloaded += 1;
    listFeed.dropSession(sessionId);
    runs.forgetSession(sessionId);
  });
  const lifecycle = new RunLifecycle({
    sessions,
    runs,
    logger,
    maxQueuedRuns: runLimits.maxQueuedRuns,
    ...(pieces.runEndOrder ? { endOrder: pieces.runEndOrder } : {}),
    ...(engine ? { coordinator: engine.coordinator } : {}),
  });
  const joiner = new Joiner({
    fanout,
    maxSnapshotBytes: runLimits.maxSnapshotBytes,
    queuedRunOf: (sessionId) => runs.activeRuns(sessionId).find((r) => r.status === 'queued'),
    ...(pieces.resumeRule ? { rule: pieces.resumeRule } : {}),
    ...(engine ? { catchUp: (session: Session, head: LogHead) => engine.catchUp(session, head) } : {}),
  });

  // Operations: heartbeats in session lanes, diagnostics and metrics over the same sources.
  const sources = {
    pressure: () => pressure.state(),
    heartbeats: () => heartbeats.counters(),
    connections: () => outboxes.size,
    sessions: () => sessions.size,
    replays: () => joiner.counters.replays,
    resyncs: () => joiner.counters.resyncs,
  };
  const metrics = createMetrics({
    ...sources,
    slowConsumersCut: () => counters.slowConsumersCut,
    sessionsUnloaded: () => counters.sessionsUnloaded,
    sessionChangesSent: () => listFeed.counters.changesSent,
    sessionResyncsSent: () => listFeed.counters.resyncsSent,
  });
  const heartbeats = createGatewayHeartbeats({
    sessions,
    lifecycle,
    logger,
    options: options.heartbeat,
    recorded: (outcome) => metrics.recordHeartbeat(outcome.status, outcome.reason),
    hasReasonToBeat: (sessionId) => fanout.hasMembers(sessionId),
    ...(engine ? { claimInterval: (sessionId: string, intervalMs: number) => engine.claimHeartbeat(sessionId, intervalMs) } : {}),
    ...(pieces.heartbeatRule ? { rule: pieces.heartbeatRule } : {}),
  });
  const diagnostics = new DiagnosticsHub(sources, options.diagnosticsIntervalMs ?? DEFAULT_DIAGNOSTICS_INTERVAL_MS);
  const sweeper = new IdleSweeper({
    sessions,
    idleMs: sessionIdleMs,
    intervalMs: positiveInteger(options.sessions?.sweepIntervalMs, defaultSweepIntervalMs(sessionIdleMs), 'sessions.sweepIntervalMs'),
    heldElsewhere: (sessionId) => fanout.hasMembers(sessionId) || heartbeats.pendingSystemEvents(sessionId) > 0,
  });
  sweeper.start();
  if (options.metrics !== false) {
    const metricsToken = options.metricsToken;
    router.route('GET', '/metrics', (req, res) => {
      // A token, when set, is required; the answer does not say whether one was close.
      if (metricsToken !== undefined && !tokensEqual(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1], metricsToken)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain; charset=utf-8' }).end('unauthorized\n');
        return;
      }
      metrics.handle(req, res);
    });
  }
  if (options.pressure?.enabled !== false) pressure.start();

  const core: GatewayCore = {
    io,
    logger,
    auth,
    retention,
    maxPayloadBytes,
    sessions,
    runs,
    lifecycle,
    joiner,
    fanout,
    agent: options.agent ?? createDemoAgent(),
    control: new ControlSurface(),
    pressure,
    heartbeats,
    diagnostics,
    outboxes,
    listFeed,
    delivery,
    limits: {
      ...runLimits,
      maxSessionsPerPrincipal: sessionLimits.maxSessionsPerPrincipal,
      maxConnectionsPerPrincipal: connections.maxPerPrincipal,
      sessionIdleMs,
    },
    counters,
    inFlight,
    shutdown,
  };
  registerControlCommands(core.control, core);
  engine?.bind({ core, emitRowChange: (change) => listFeed.publish(change), metrics: metrics.registry });

  // Connections: the handshake, then one outbox and one validated inbound side per socket.
  io.use(
    createHandshakeMiddleware({
      auth,
      token: options.token,
      controlToken: options.controlToken,
      connections,
      refuse: () => (shutdown.draining ? shuttingDownError() : undefined),
      ...(throttle ? { throttle } : {}),
    }),
  );
  io.on('connection', (socket) =>
    acceptConnection(core, socket, {
      gateway: { name: options.gatewayName ?? GATEWAY_NAME, version: GATEWAY_VERSION, instanceId },
      ...(pieces.validateRequest ? { validate: pieces.validateRequest } : {}),
      ...(pieces.writeBatch ? { writeBatch: pieces.writeBatch } : {}),
    }),
  );

  if (ownServer) {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    }).catch(async (error: unknown) => {
      // Not listening (port taken ...): the timers and the engine's connections must not keep the process alive.
      sweeper.stop();
      heartbeats.stop();
      pressure.stop();
      await engine?.close();
      throw error;
    });
  }
  const url = addressUrl(httpServer, options.host ?? '127.0.0.1');
  logger.info({ url, protocolVersion: PROTOCOL_VERSION, retention }, 'gateway ready');

  let httpClosed: Promise<void> | undefined;
  const drain = async (drainMs: number): Promise<void> => {
    shutdown.draining = true;
    // Nothing new starts: no heartbeat turns, no unloads under the feet of the last requests.
    heartbeats.stop();
    sweeper.stop();
    // No new connections: the listening socket goes (existing connections stay until told).
    if (ownServer) {
      httpClosed = new Promise((resolve) => httpServer.once('close', () => resolve()));
      httpServer.close();
    }
    const drained = await waitUntilDrained(
      {
        requestsInFlight: () => inFlight.count,
        runsActive: () => runs.counts().running + runs.counts().queued,
        outboxesPending: () => [...outboxes.values()].filter((outbox) => outbox.queuedItems > 0).length,
      },
      drainMs,
    );
    logger.info({ drained, requestsInFlight: inFlight.count, connections: outboxes.size }, 'gateway draining done; closing connections');
    const notice = { error: shuttingDownError() };
    for (const outbox of outboxes.values()) {
      (outbox.socket.emit as (event: string, payload: unknown) => boolean)('protocol.error', notice);
      outbox.socket.disconnect(true);
    }
  };

  let closed: Promise<void> | undefined;
  const gateway: Gateway = {
    url,
    io,
    httpServer,
    http: router,
    close: (closeOptions) =>
      (closed ??= (async () => {
        if (closeOptions?.drainMs !== undefined && closeOptions.drainMs > 0) await drain(closeOptions.drainMs);
        diagnostics.close();
        sweeper.stop();
        heartbeats.stop();
        pressure.stop();
        runs.close();
        listFeed.close();
        for (const session of sessions.all()) session.lane.abortActive(undefined, new Error('gateway closing'));
        // Shared storage outlives this gateway: let aborted runs write their end before it goes.
        if (engine) await lanesSettled(sessions.all(), 2_000);
        for (const outbox of outboxes.values()) outbox.close();
        if (ownServer && httpClosed) {
          // Draining stopped listening already; the server closes once its last connection has.
          io.disconnectSockets(true);
          io.engine.close();
          httpServer.closeAllConnections();
          await httpClosed;
        } else if (ownServer) {
          // Also closes the HTTP server we created.
          await new Promise<void>((resolve) => void io.close(() => resolve()));
        } else {
          // Leave the embedder's server running: only our sockets and engine go.
          io.disconnectSockets(true);
          io.engine.close();
        }
        await ownStore?.close();
        await engine?.close();
      })()),
  };
  cores.set(gateway, core);
  return gateway;
}

/** Resolves once no lane runs or queues a turn, or after `timeoutMs`. */
async function lanesSettled(all: Iterable<Session>, timeoutMs: number): Promise<void> {
  const sessions = [...all];
  const deadline = Date.now() + timeoutMs;
  while (sessions.some((s) => s.lane.active !== undefined || s.lane.queuedCount > 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function addressUrl(server: http.Server, host: string): string {
  const address = server.address();
  if (address && typeof address === 'object') {
    const h = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    return `http://${h === '0.0.0.0' || h === '[::]' ? host : h}:${address.port}`;
  }
  return `http://${host}`;
}
