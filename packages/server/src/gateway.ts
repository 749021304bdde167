import http from 'node:http';
import { MAX_FRAMES_PER_BATCH, PROTOCOL_VERSION, SUPPORTED_VERSIONS, type SessionsChanged } from '@agent-gateway/schema';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createHandshakeMiddleware, isAuthorized } from './auth.js';
import { ControlSurface, registerCoreControlCommands } from './control.js';
import type { ConnectionContext, GatewayCore } from './core.js';
import { createDemoAgent } from './demo-agent.js';
import { DiagnosticsHub } from './diagnostics.js';
import { Fanout } from './fanout.js';
import { requestHandlers } from './handlers.js';
import { HttpRouter, healthzHandler } from './http.js';
import { attachIngress } from './ingress.js';
import { MemorySessionLogStore } from './memory-session-log.js';
import { DEFAULT_DIAGNOSTICS_INTERVAL_MS, DEFAULT_IDEMPOTENCY_WINDOW_MS, DEFAULT_MAX_PAYLOAD_BYTES, resolveRetention, type GatewayOptions } from './options.js';
import { Outbox } from './outbox.js';
import { RunExecutor } from './run-executor.js';
import { attachRunFeatures, type RunFeatures } from './run-features.js';
import { RunRegistry } from './runs.js';
import { Gates } from './scripted-agent.js';
import type { SessionLogStore } from './session-log.js';
import { SessionRegistry } from './sessions.js';
import type { GatewayServer } from './socket-types.js';

export const GATEWAY_NAME = 'agent-gateway-reference';
export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** http://host:port once listening (for an attached server: its address when known). */
  url: string;
  io: GatewayServer;
  httpServer: http.Server;
  /** Plain HTTP routes and static files (only wired when the gateway created the server). */
  http: HttpRouter;
  /** The gateway's services, for features layered on the core (pressure, heartbeats, metrics). */
  core: GatewayCore;
  close(): Promise<void>;
}

export interface CreateGatewayInternals {
  /** Session log store (default: in memory). */
  store?: SessionLogStore;
}

function createLogger(option: Logger | false | undefined): Logger {
  if (option === false) return pino({ enabled: false });
  return option ?? pino({ name: 'agent-gateway' });
}

/** Create a gateway, listening on its own HTTP server unless `options.httpServer` is given. */
export async function createGateway(options: GatewayOptions = {}, internals: CreateGatewayInternals = {}): Promise<Gateway> {
  const logger = createLogger(options.logger);
  const retention = resolveRetention(options.retention);
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 1) throw new RangeError('maxPayloadBytes must be a positive integer');
  const faults = { ...(options.faults ?? {}) };
  const auth = options.auth ?? {};
  const router = new HttpRouter();
  router.route('GET', '/healthz', healthzHandler());
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

  const outboxes = new Map<string, Outbox>();
  const runs = new RunRegistry({ idempotencyWindowMs: options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS });
  const fanout = new Fanout({ isRunScoped: (runId, socketId) => runs.isScoped(runId, socketId), faults });
  const control = new ControlSurface();
  const gates = new Gates();

  const broadcastRow = (change: SessionsChanged) => {
    if (!auth.authorizeSession) {
      for (const outbox of outboxes.values()) outbox.emit('sessions.changed', change);
      return;
    }
    for (const outbox of outboxes.values()) {
      const principal = outbox.socket.data.principal;
      void isAuthorized(auth, principal, change.sessionId).then((ok) => ok && outbox.emit('sessions.changed', change));
    }
  };

  // Pressure, heartbeats and metrics attach once the core exists; session and lane hooks reach them here.
  // eslint-disable-next-line prefer-const -- assigned once the core exists (see below)
  let runFeatures: RunFeatures | undefined;
  const sessions = new SessionRegistry({
    store: internals.store ?? new MemorySessionLogStore(retention),
    deliver: (session, entries) => fanout.deliver(session.id, session.epoch, entries),
    rowChanged: (change) => {
      broadcastRow(change);
      if (change.reason === 'created') runFeatures?.sessionCreated(change.sessionId);
    },
    // A new epoch starts at seq 1: joined sockets account from 0 again and see the epoch change.
    recreated: (session) => {
      for (const member of fanout.members(session.id).values()) {
        member.lastSeq = 0;
        member.gapReason = undefined;
      }
    },
    laneEvents: (sessionId) => ({
      idle: () => runFeatures?.laneIdle(sessionId),
      failed: (turn, error) => logger.error({ err: error, sessionId, turnId: turn.id }, 'lane turn failed'),
    }),
  });
  const executor = new RunExecutor({ sessions, runs, logger, faults });
  const diagnostics = new DiagnosticsHub(
    {
      pressure: () => {
        const counts = runs.counts();
        return {
          active: counts.running,
          waiting: counts.queued,
          queued: counts.queued,
          eventLoopDelayMs: 0,
          backoffActive: false,
          backoffUntil: null,
          mirrorsSuppressed: fanout.counters.mirrorsSuppressed,
          mirrorsDelivered: fanout.counters.mirrorsDelivered,
        };
      },
      heartbeats: () => ({ ran: 0, skippedSessionBusy: 0, skippedRequestsInFlight: 0, retriesScheduled: 0 }),
      connections: () => outboxes.size,
      sessions: () => sessions.size,
    },
    options.diagnosticsIntervalMs ?? DEFAULT_DIAGNOSTICS_INTERVAL_MS,
  );

  const core: GatewayCore = {
    io,
    logger,
    faults,
    auth,
    retention,
    maxPayloadBytes,
    sessions,
    runs,
    executor,
    fanout,
    agent: options.agent ?? createDemoAgent(),
    gates,
    control,
    diagnostics,
    outboxes,
  };
  registerCoreControlCommands(control, core);
  runFeatures = attachRunFeatures(core, options, router);

  io.use(createHandshakeMiddleware({ auth, token: options.token, controlToken: options.controlToken }));
  io.on('connection', (socket) => {
    const outbox = new Outbox(socket, MAX_FRAMES_PER_BATCH);
    outboxes.set(socket.id, outbox);
    const { principal, controlEnabled } = socket.data;
    logger.debug({ socketId: socket.id, principal: principal.id }, 'connected');
    attachIngress(socket, outbox, requestHandlers, (scope): ConnectionContext => ({ core, socket, outbox, principal, controlEnabled, scope }), {
      maxPayloadBytes,
      logger,
      faults,
    });
    socket.on('disconnect', (reason) => {
      outbox.close();
      outboxes.delete(socket.id);
      fanout.removeSocket(socket.id);
      runs.forgetSocket(socket.id);
      diagnostics.unsubscribeSocket(socket.id);
      logger.debug({ socketId: socket.id, reason }, 'disconnected');
    });
    outbox.emit('hello', {
      protocolVersion: socket.data.protocolVersion,
      supported: { ...SUPPORTED_VERSIONS },
      gateway: { name: options.gatewayName ?? GATEWAY_NAME, version: GATEWAY_VERSION },
      principal: principal.id.slice(0, 256),
      limits: { maxPayloadBytes, maxFramesPerBatch: MAX_FRAMES_PER_BATCH, maxEvents: retention.maxEvents, maxBytes: retention.maxBytes },
      control: { enabled: controlEnabled, commands: control.commands() },
    });
  });

  if (ownServer) {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  }
  const url = addressUrl(httpServer, options.host ?? '127.0.0.1');
  logger.info({ url, protocolVersion: PROTOCOL_VERSION, retention }, 'gateway ready');

  let closed: Promise<void> | undefined;
  return {
    url,
    io,
    httpServer,
    http: router,
    core,
    close: () =>
      (closed ??= (async () => {
        diagnostics.close();
        runFeatures?.close();
        runs.close();
        for (const session of sessions.all()) session.lane.abortActive(undefined, new Error('gateway closing'));
        for (const outbox of outboxes.values()) outbox.close();
        if (ownServer) {
          // Also closes the HTTP server we created.
          await new Promise<void>((resolve) => void io.close(() => resolve()));
        } else {
          // Leave the embedder's server running: only our sockets and engine go.
          io.disconnectSockets(true);
          io.engine.close();
        }
        await internals.store?.close?.();
      })()),
  };
}

function addressUrl(server: http.Server, host: string): string {
  const address = server.address();
  if (address && typeof address === 'object') {
    const h = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    return `http://${h === '0.0.0.0' || h === '[::]' ? host : h}:${address.port}`;
  }
  return `http://${host}`;
}
