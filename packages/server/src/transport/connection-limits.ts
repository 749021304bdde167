import type { GatewaySocket } from './socket-types.js';

export const DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL = 1_000;

/**
 * Connections held by each principal (R6.4). A place is taken in the handshake, right before it is
 * accepted, and given back once — when the socket disconnects or its transport closes, whichever
 * comes first — so a handshake whose client vanished before connecting cannot leak a place.
 */
export class ConnectionCounter {
  private readonly held = new Map<string, number>();

  constructor(readonly maxPerPrincipal: number) {
    if (!Number.isSafeInteger(maxPerPrincipal) || maxPerPrincipal < 1) {
      throw new RangeError(`maxConnectionsPerPrincipal must be a positive integer, got ${String(maxPerPrincipal)}`);
    }
  }

  count(principalId: string): number {
    return this.held.get(principalId) ?? 0;
  }

  /** Take a place for this socket's principal; false when it holds its limit already. */
  take(principalId: string, socket: GatewaySocket): boolean {
    const current = this.count(principalId);
    if (current >= this.maxPerPrincipal) return false;
    this.held.set(principalId, current + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = this.count(principalId) - 1;
      if (left > 0) this.held.set(principalId, left);
      else this.held.delete(principalId);
    };
    socket.once('disconnect', release);
    (socket.conn as unknown as { once(event: 'close', listener: () => void): void }).once('close', release);
    return true;
  }
}
