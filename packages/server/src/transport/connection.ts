import { MAX_FRAMES_PER_BATCH, SUPPORTED_VERSIONS, type Hello } from '@agent-gateway/schema';
import type { ConnectionContext, GatewayCore } from '../core.js';
import { shuttingDownError } from '../ops/shutdown.js';
import { cutSlowConsumer, Outbox, type BatchWriter } from '../delivery/index.js';
import { requestHandlers } from './handlers.js';
import { listVisibility } from './auth.js';
import { attachIngress, type RequestValidator } from './ingress.js';
import type { GatewaySocket } from './socket-types.js';

export interface ConnectionOptions {
  /** `hello.gateway`: who answers. */
  gateway: Hello['gateway'];
  validate?: RequestValidator;
  writeBatch?: BatchWriter;
}

/**
 * One authenticated socket's life in the gateway: its outbox, its inbound side (validated requests
 * to the handler table), `hello`, and on disconnect the removal of everything that referred to it.
 */
export function acceptConnection(core: GatewayCore, socket: GatewaySocket, options: ConnectionOptions): void {
  const { logger, fanout, runs, diagnostics, control, retention, maxPayloadBytes, delivery, listFeed } = core;
  const outbox: Outbox = new Outbox(
    socket,
    { maxFramesPerBatch: MAX_FRAMES_PER_BATCH, maxPendingBytes: delivery.maxPendingBytes, lowWaterBytes: delivery.lowWaterBytes },
    options.writeBatch,
    (pendingBytes) =>
      cutSlowConsumer({
        socket,
        outbox,
        pendingBytes,
        maxPendingBytes: delivery.maxPendingBytes,
        graceMs: delivery.slowConsumerGraceMs,
        logger,
        counted: () => (core.counters.slowConsumersCut += 1),
      }),
  );
  core.outboxes.set(socket.id, outbox);
  const { principal, controlEnabled } = socket.data;
  // 1.0 has no sessions.subscribe: a connection that speaks it follows the list it may see from the
  // start, as 1.0 defines sessions.changed.
  if (outbox.servesOlderMinor) listFeed.subscribe(outbox, true, undefined, listVisibility(core.auth, principal));
  logger.debug({ socketId: socket.id, principal: principal.id }, 'connected');
  attachIngress(socket, outbox, requestHandlers, (scope): ConnectionContext => ({ core, socket, outbox, principal, controlEnabled, scope }), {
    maxPayloadBytes,
    logger,
    inFlight: core.inFlight,
    refuseAll: () => (core.shutdown.draining ? shuttingDownError() : undefined),
    ...(options.validate ? { validate: options.validate } : {}),
  });
  socket.on('disconnect', (reason) => {
    // The gateway serves one namespace: a client that leaves it has no use for the connection, which
    // would otherwise stay open, uncounted, for as long as the client answers pings.
    if (reason === 'client namespace disconnect') socket.conn.close();
    outbox.close();
    core.outboxes.delete(socket.id);
    fanout.removeSocket(socket.id);
    listFeed.dropSocket(socket.id);
    runs.forgetSocket(socket.id);
    diagnostics.unsubscribeSocket(socket.id);
    logger.debug({ socketId: socket.id, reason }, 'disconnected');
  });
  outbox.emit('hello', {
    protocolVersion: socket.data.protocolVersion,
    supported: { ...SUPPORTED_VERSIONS },
    gateway: options.gateway,
    principal: principal.id.slice(0, 256),
    limits: {
      maxPayloadBytes,
      maxFramesPerBatch: MAX_FRAMES_PER_BATCH,
      maxEvents: retention.maxEvents,
      maxBytes: retention.maxBytes,
      maxQueuedRuns: core.limits.maxQueuedRuns,
      maxSnapshotBytes: core.limits.maxSnapshotBytes,
      maxPendingBytes: delivery.maxPendingBytes,
      maxSessionsPerPrincipal: core.limits.maxSessionsPerPrincipal,
      maxConnectionsPerPrincipal: core.limits.maxConnectionsPerPrincipal,
      sessionIdleMs: core.limits.sessionIdleMs,
    },
    control: { enabled: controlEnabled, commands: control.commands() },
  });
}
