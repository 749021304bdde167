import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { PROTOCOL_VERSION, type SessionsChanged } from '@agent-gateway/schema';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createDemoAgent } from './agent/index.js';
import type { GatewayCore } from './core.js';
import { DEFAULT_SLOW_CONSUMER_BYTES, Fanout, pressureAwareMirrorPolicy, type BatchWriter } from './delivery/index.js';
import { MemorySessionLogStore, positiveInteger, resolveRetention, type LogHead } from './log/index.js';
import { createGatewayHeartbeats, createMetrics, createPressureMonitor, DiagnosticsHub, type HeartbeatRule, type WorkloadSnapshot } from './ops/index.js';
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
import { SessionRegistry, type Session } from './sessions/index.js';
import {
  acceptConnection,
  ControlSurface,
  createHandshakeMiddleware,
  healthzHandler,
  HttpRouter,
  isAuthorized,
  registerControlCommands,
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
  close(): Promise<void>;
}

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
  const limits = {
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

  // HTTP and Socket.IO.
  const router = new HttpRouter();
  router.route('GET', '/healthz', healthzHandler(engine?.health));
  if (options.staticDir && !options.httpServer) {
    const serving = await router.serveStatic(options.staticDir);
    if (!serving) logger.info({ staticDir: options.staticDir }, 'static folder not found; not serving static files');
  }
  const ownServer = !options.httpServer;
  const httpServer = options.httpServer ?? http.createServer(router.handle);
  // Socket.IO closes a connection whose packet exceeds maxHttpBufferSize; keep that well above the
  // protocol limit so an oversized message is answered with PAYLOAD_TOO_LARGE instead.
  const io: GatewayServer = new Server(httpServer, {
    maxHttpBufferSize: Math.max(maxPayloadBytes * 4, maxPayloadBytes + 1024 * 1024),
    serveClient: false,
    cors: { origin: true },
  });
  const outboxes: GatewayCore['outboxes'] = new Map();

  // Runs and pressure: queued work is everything the gateway still owes — turns running or waiting
  // and frames not yet handed to Socket.IO. A saturated loop with none of it is not worth backing off for.
  const runs = new RunRegistry({
    idempotencyWindowMs,
    ...(engine ? { newRunId: () => engine.newRunId(), changed: (run) => engine.runChanged(run) } : {}),
  });
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

  // Sessions, their runs and their joins. With an engine, row changes go to every gateway first.
  const emitRowChange = (change: SessionsChanged) => {
    for (const outbox of outboxes.values()) {
      if (!auth.authorizeSession) outbox.emit('sessions.changed', change);
      else void isAuthorized(auth, outbox.socket.data.principal, change.sessionId).then((ok) => ok && outbox.emit('sessions.changed', change));
    }
  };
  const sessions = new SessionRegistry({
    store,
    logger,
    maxConversationBytes: positiveInteger(options.maxConversationBytes, DEFAULT_MAX_CONVERSATION_BYTES, 'maxConversationBytes'),
    deliver: (session, entries) => fanout.deliver(session.id, session.epoch, entries),
    epochChanged: (session) => fanout.restartSession(session.id),
    rowChanged: engine ? (change) => engine.publishRow(change) : emitRowChange,
    ...(engine ? { feed: engine.feed, rows: engine.rows, laneGate: (sessionId: string) => engine.laneGate(sessionId) } : {}),
  });
  const lifecycle = new RunLifecycle({
    sessions,
    runs,
    logger,
    maxQueuedRuns: limits.maxQueuedRuns,
    ...(pieces.runEndOrder ? { endOrder: pieces.runEndOrder } : {}),
    ...(engine ? { coordinator: engine.coordinator } : {}),
  });
  const joiner = new Joiner({
    fanout,
    maxSnapshotBytes: limits.maxSnapshotBytes,
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
  const metrics = createMetrics(sources);
  const heartbeats = createGatewayHeartbeats({
    sessions,
    lifecycle,
    logger,
    options: options.heartbeat,
    recorded: (outcome) => metrics.recordHeartbeat(outcome.status, outcome.reason),
    ...(engine ? { claimInterval: (sessionId: string, intervalMs: number) => engine.claimHeartbeat(sessionId, intervalMs) } : {}),
    ...(pieces.heartbeatRule ? { rule: pieces.heartbeatRule } : {}),
  });
  const diagnostics = new DiagnosticsHub(sources, options.diagnosticsIntervalMs ?? DEFAULT_DIAGNOSTICS_INTERVAL_MS);
  router.route('GET', '/metrics', (req, res) => void metrics.handle(req, res));
  if (options.pressure?.enabled !== false) pressure.start();

  const core: GatewayCore = {
    io,
    logger,
    auth,
    retention,
    maxPayloadBytes,
    limits,
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
  };
  registerControlCommands(core.control, core);
  engine?.bind({ core, emitRowChange, metrics: metrics.registry });

  // Connections: the handshake, then one outbox and one validated inbound side per socket.
  io.use(createHandshakeMiddleware({ auth, token: options.token, controlToken: options.controlToken }));
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
      // Not listening (port taken ...): the engine's connections and timers must not keep the process alive.
      await engine?.close();
      throw error;
    });
  }
  const url = addressUrl(httpServer, options.host ?? '127.0.0.1');
  logger.info({ url, protocolVersion: PROTOCOL_VERSION, retention }, 'gateway ready');

  let closed: Promise<void> | undefined;
  const gateway: Gateway = {
    url,
    io,
    httpServer,
    http: router,
    close: () =>
      (closed ??= (async () => {
        diagnostics.close();
        heartbeats.stop();
        pressure.stop();
        runs.close();
        for (const session of sessions.all()) session.lane.abortActive(undefined, new Error('gateway closing'));
        // Shared storage outlives this gateway: let aborted runs write their end before it goes.
        if (engine) await lanesSettled(sessions.all(), 2_000);
        for (const outbox of outboxes.values()) outbox.close();
        if (ownServer) {
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
