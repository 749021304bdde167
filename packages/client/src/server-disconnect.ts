import type { WireError } from '@agent-gateway/schema';
import { ClientError, ClientErrorCodes } from './errors.js';

/**
 * Codes of `protocol.error`s a gateway sends right before it cuts the connection, to say why.
 * Compared as strings: `SLOW_CONSUMER` (the socket's pending output passed the gateway's bound) is
 * not in every schema version's ErrorCodes yet.
 */
const DISCONNECT_CODES: ReadonlySet<string> = new Set(['SLOW_CONSUMER']);

/** A connection that lasted this long was not a kick loop: reconnect quickly again after the next one. */
const SERVER_KICK_RESET_MS = 10_000;

export interface ServerDisconnectOptions {
  /** First delay before reconnecting after a server-side disconnect. */
  baseDelayMs: number;
  maxDelayMs: number;
  reconnect(): void;
}

/**
 * Server-side disconnects. Socket.IO does not reconnect by itself after one, yet a gateway
 * restarting, shedding load or cutting a slow consumer is exactly when a client must come back and
 * resume by cursor. Reconnects back off when the gateway keeps sending the client away right after
 * it connects; a reason the gateway stated just before (`protocol.error`) is kept for the
 * state-change event.
 */
export class ServerDisconnects {
  private readonly options: ServerDisconnectOptions;
  private kicks = 0;
  private connectedAt = 0;
  private stated: WireError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ServerDisconnectOptions) {
    this.options = options;
  }

  connected(): void {
    this.connectedAt = Date.now();
    this.stated = undefined;
  }

  /** Keep a gateway error that announces a disconnect; returns whether it was one. */
  announce(error: WireError): boolean {
    if (!DISCONNECT_CODES.has(error.code)) return false;
    this.stated = error;
    return true;
  }

  /** The connection dropped: reconnect if the gateway dropped it, and say why it dropped. */
  disconnected(socketReason: string): { reason: string; error?: ClientError } {
    const stated = this.stated;
    this.stated = undefined;
    if (socketReason === 'io server disconnect') {
      if (Date.now() - this.connectedAt > SERVER_KICK_RESET_MS) this.kicks = 0;
      const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** this.kicks);
      this.kicks++;
      this.cancel();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.options.reconnect();
      }, delay);
    }
    if (!stated) return { reason: socketReason };
    const error = new ClientError(ClientErrorCodes.Disconnected, `The gateway disconnected the client: ${stated.code}: ${stated.message}`, {
      wireError: stated,
    });
    return { reason: stated.code, error };
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
