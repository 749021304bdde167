import { MAX_FRAMES_PER_BATCH, SUPPORTED_VERSIONS, type Hello } from '@agent-gateway/schema';
import type { ConnectionContext, GatewayCore } from '../core.js';
import { Outbox, type BatchWriter } from '../delivery/index.js';
import { requestHandlers } from './handlers.js';
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
  const { logger, fanout, runs, diagnostics, control, retention, maxPayloadBytes } = core;
  const outbox = new Outbox(socket, MAX_FRAMES_PER_BATCH, options.writeBatch);
  core.outboxes.set(socket.id, outbox);
  const { principal, controlEnabled } = socket.data;
  logger.debug({ socketId: socket.id, principal: principal.id }, 'connected');
  attachIngress(socket, outbox, requestHandlers, (scope): ConnectionContext => ({ core, socket, outbox, principal, controlEnabled, scope }), {
    maxPayloadBytes,
    logger,
    ...(options.validate ? { validate: options.validate } : {}),
  });
  socket.on('disconnect', (reason) => {
    // The gateway serves one namespace: a client that leaves it has no use for the connection, which
    // would otherwise stay open, uncounted, for as long as the client answers pings.
    if (reason === 'client namespace disconnect') socket.conn.close();
    outbox.close();
    core.outboxes.delete(socket.id);
    fanout.removeSocket(socket.id);
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
    },
    control: { enabled: controlEnabled, commands: control.commands() },
  });
}
