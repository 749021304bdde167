import { io, type Socket } from 'socket.io-client';

export interface Received {
  event: string;
  args: unknown[];
}

/**
 * A Socket.IO client that records every packet from the moment it is created, so a test awaits
 * frames that may already have arrived instead of subscribing late.
 */
export class RecordingClient {
  readonly socket: Socket;
  readonly received: Received[] = [];
  #waiters: Array<{ test: (r: Received) => boolean; resolve: (r: Received) => void }> = [];
  #listeners: Array<(r: Received) => void> = [];

  constructor(url: string, auth: Record<string, unknown> = {}) {
    this.socket = io(url, { auth, transports: ['websocket'], forceNew: true, reconnection: false });
    this.socket.onAny((event: string, ...args: unknown[]) => this.#record({ event, args }));
    this.socket.on('connect_error', (error) => this.#record({ event: 'connect_error', args: [error] }));
  }

  #record(r: Received) {
    this.received.push(r);
    for (const listener of this.#listeners) listener(r);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(r)) return true;
      w.resolve(r);
      return false;
    });
  }

  /** Called synchronously for every later packet (e.g. to react the moment a broadcast arrives). */
  onPacket(listener: (r: Received) => void): void {
    this.#listeners.push(listener);
  }

  /** Resolves with the first packet (already received or future) named `event` that matches. */
  waitFor(event: string, match: (payload: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
    const test = (r: Received) => r.event === event && match(r.args[0]);
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen.args[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r.args[0]);
        },
      });
    });
  }

  request<T = any>(name: string, params: unknown, timeoutMs = 10_000): Promise<T> {
    return this.socket.timeout(timeoutMs).emitWithAck(name, params) as Promise<T>;
  }

  /** Every frame of `event` batches (replay, session.event, session.tool), flattened. */
  frames(event: string, sessionId?: string): any[] {
    return this.received
      .filter((r) => r.event === event)
      .flatMap((r) => r.args[0] as any[])
      .filter((f) => sessionId === undefined || f.sessionId === sessionId);
  }

  close(): void {
    this.socket.close();
  }
}
