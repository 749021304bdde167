import { ErrorCodes, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { ResolvedRetention } from '../log/index.js';
import type { GatewaySocket } from '../transport/socket-types.js';
import type { Outbox } from './outbox.js';

/**
 * Transport buffers below an outbox are refilled only while they hold less than this: large enough
 * that a fast reader gets a replay in few write round trips, small next to the bound.
 */
export const DEFAULT_LOW_WATER_BYTES = 1024 * 1024;

/**
 * How long a cut connection may take to read its SLOW_CONSUMER notice before it is dropped. What it
 * owed was released at the cut; during the grace it holds only its transport buffers (the low-water
 * mark plus the kernel's), so a client that was merely busy for a few seconds still learns why.
 */
export const DEFAULT_SLOW_CONSUMER_GRACE_MS = 10_000;

const MIB = 1024 * 1024;

/**
 * Default bound of one socket's pending output: enough for the largest answer a join can queue at
 * once, with 4 MiB to spare for what streams meanwhile, and at least 16 MiB. A replay carries every
 * retained byte plus a frame envelope per event; a snapshot carries the retained durable events and
 * the conversation, which repeats the messages among them: twice the log's bytes. A bound below that
 * would cut a client resuming from far back, which resumes, and is cut again.
 */
export function maxPendingBytesFor(retention: Pick<ResolvedRetention, 'maxBytes' | 'maxEvents'>): number {
  return Math.max(16 * MIB, 2 * retention.maxBytes + 256 * retention.maxEvents + 4 * MIB);
}

export function slowConsumerError(pendingBytes: number, maxPendingBytes: number): WireError {
  return {
    code: ErrorCodes.SlowConsumer,
    message: `This connection fell ${pendingBytes} bytes behind; the gateway buffers at most ${maxPendingBytes}. Reconnect and resume by cursor: nothing was lost.`,
    details: { limit: 'maxPendingBytes', max: maxPendingBytes, actualBytes: pendingBytes },
    retryable: true,
  };
}

export interface SlowConsumerCut {
  socket: GatewaySocket;
  outbox: Outbox;
  pendingBytes: number;
  maxPendingBytes: number;
  graceMs: number;
  logger: Logger;
  /** Counts cuts for diagnostics and metrics. */
  counted(): void;
}

/**
 * Disconnect a socket whose pending output passed its bound (R6.4): state the reason with a
 * `protocol.error` SLOW_CONSUMER (queued behind at most the low-water mark of older output, so a
 * client that still reads gets it), close the connection, and drop it outright if the peer has not
 * read that far within the grace period. What the outbox held is released at once; the client
 * resumes every session by cursor when it comes back.
 */
export function cutSlowConsumer(cut: SlowConsumerCut): void {
  const { socket, outbox, logger } = cut;
  if (!socket.connected) return;
  cut.counted();
  logger.warn({ socketId: socket.id, pendingBytes: cut.pendingBytes, maxPendingBytes: cut.maxPendingBytes }, 'slow consumer disconnected');
  (socket.emit as (event: string, payload: unknown) => boolean)('protocol.error', { error: slowConsumerError(cut.pendingBytes, cut.maxPendingBytes) });
  socket.disconnect(true);
  const conn = socket.conn as unknown as { readyState: string; close(discard?: boolean): void };
  const timer = setTimeout(() => {
    if (conn.readyState === 'closed') return;
    conn.close(true);
    outbox.terminate();
  }, cut.graceMs);
  timer.unref();
}
