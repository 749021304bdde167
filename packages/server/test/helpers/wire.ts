/*
 * Test wiring for a real gateway over loopback. The recorder subscribes with onAny at socket
 * creation, before the connection exists, so no packet can arrive unobserved; tests then await the
 * packet they expect with one timeout. Other packages copy this idea rather than importing it.
 */
import type { ClientToServerEvents, EventFrame, RequestName, RequestParams, RequestResult, ServerToClientEvents } from '@agent-gateway/schema';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/index.js';
import { createMutantGateway, type MutantName } from '../../src/testing/index.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Packet {
  event: string;
  args: unknown[];
  index: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export class Recorder {
  readonly packets: Packet[] = [];
  private waiters: Array<{ test: (p: Packet) => boolean; from: number; resolve: (p: Packet) => void }> = [];
  connectError: (Error & { data?: unknown }) | undefined;
  private connectErrorWaiters: Array<(e: Error & { data?: unknown }) => void> = [];

  constructor(readonly socket: ClientSocket) {
    socket.onAny((event: string, ...args: unknown[]) => this.record(event, args));
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      this.connectError = error;
      for (const waiter of this.connectErrorWaiters.splice(0)) waiter(error);
    });
  }

  private record(event: string, args: unknown[]): void {
    const packet: Packet = { event, args, index: this.packets.length };
    this.packets.push(packet);
    this.waiters = this.waiters.filter((w) => {
      if (packet.index >= w.from && w.test(packet)) {
        w.resolve(packet);
        return false;
      }
      return true;
    });
  }

  /** The first packet at or after `from` matching `test`, already received or still to come. */
  waitFor(test: (p: Packet) => boolean, { from = 0, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'packet' } = {}): Promise<Packet> {
    const found = this.packets.find((p) => p.index >= from && test(p));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = { test, from, resolve: (p: Packet) => (clearTimeout(timer), resolve(p)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.packets.map((p) => p.event).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  event(name: string, options: { from?: number; timeoutMs?: number } = {}): Promise<Packet> {
    return this.waitFor((p) => p.event === name, { ...options, what: name });
  }

  waitConnectError(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Error & { data?: unknown }> {
    if (this.connectError) return Promise.resolve(this.connectError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for connect_error')), timeoutMs);
      this.connectErrorWaiters.push((e) => (clearTimeout(timer), resolve(e)));
    });
  }

  /** Every frame of a session received so far over replay, session.event and session.tool, in arrival order. */
  frames(sessionId: string, from = 0): Array<EventFrame & { channel: string }> {
    const out: Array<EventFrame & { channel: string }> = [];
    for (const p of this.packets) {
      if (p.index < from) continue;
      if (p.event !== 'replay' && p.event !== 'session.event' && p.event !== 'session.tool') continue;
      for (const frame of p.args[0] as EventFrame[]) if (frame.sessionId === sessionId) out.push({ ...frame, channel: p.event });
    }
    return out;
  }

  /** Resolves once a frame with seq >= `seq` of the session has arrived. */
  untilSeq(sessionId: string, seq: number, options: { from?: number; timeoutMs?: number } = {}): Promise<Packet> {
    return this.waitFor(
      (p) =>
        (p.event === 'replay' || p.event === 'session.event' || p.event === 'session.tool') &&
        (p.args[0] as EventFrame[]).some((f) => f.sessionId === sessionId && f.seq >= seq),
      { ...options, what: `${sessionId} seq ${seq}` },
    );
  }

  /** Resolves on a frame whose event matches. */
  untilEvent(sessionId: string, test: (frame: EventFrame) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<Packet> {
    return this.waitFor(
      (p) =>
        (p.event === 'replay' || p.event === 'session.event' || p.event === 'session.tool') &&
        (p.args[0] as EventFrame[]).some((f) => f.sessionId === sessionId && test(f)),
      { ...options, what: `${sessionId} matching frame` },
    );
  }
}

export interface Client {
  socket: ClientSocket;
  rec: Recorder;
  request<E extends RequestName>(event: E, params: RequestParams<E>, timeoutMs?: number): Promise<RequestResult<E>>;
  /** Send anything at all: any event name, any arguments (for bad-input tests). */
  raw(event: string, ...args: unknown[]): void;
  rawRequest(event: string, ...args: unknown[]): Promise<unknown>;
  close(): void;
}

export interface Harness {
  /** A gateway on loopback; with a mutant name, the deliberately broken one. */
  start(options?: GatewayOptions, mutant?: MutantName): Promise<Gateway>;
  client(gateway: Gateway | string, auth?: Record<string, unknown>, options?: { waitHello?: boolean }): Promise<Client>;
  /** A client whose connection is expected to be refused; resolves once connect_error arrived. */
  refused(gateway: Gateway | string, auth?: Record<string, unknown>): Promise<Error & { data?: unknown }>;
  closeAll(): Promise<void>;
}

export function createHarness(): Harness {
  const gateways: Gateway[] = [];
  const sockets: ClientSocket[] = [];

  const open = (url: string, auth: Record<string, unknown>) => {
    const socket: ClientSocket = connectClient(url, { transports: ['websocket'], auth, forceNew: true, reconnection: false });
    sockets.push(socket);
    return socket;
  };

  return {
    async start(options = {}, mutant) {
      const gateway = mutant ? await createMutantGateway(mutant, { logger: false, ...options }) : await createGateway({ logger: false, ...options });
      gateways.push(gateway);
      return gateway;
    },
    async client(target, auth = {}, { waitHello = true } = {}) {
      const url = typeof target === 'string' ? target : target.url;
      const socket = open(url, auth);
      const rec = new Recorder(socket);
      if (waitHello) await rec.event('hello');
      return {
        socket,
        rec,
        request: (event, params, timeoutMs = DEFAULT_TIMEOUT_MS) =>
          (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<never> }).emitWithAck(event, params),
        raw: (event, ...args) => void (socket.emit as (e: string, ...a: unknown[]) => void)(event, ...args),
        rawRequest: (event, ...args) =>
          (socket.timeout(DEFAULT_TIMEOUT_MS) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> }).emitWithAck(event, ...args),
        close: () => void socket.disconnect(),
      };
    },
    async refused(target, auth = {}) {
      const url = typeof target === 'string' ? target : target.url;
      const socket = open(url, auth);
      const rec = new Recorder(socket);
      return rec.waitConnectError();
    },
    async closeAll() {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await Promise.all(gateways.splice(0).map((g) => g.close()));
    },
  };
}

/**
 * Check a client's view of one session: seqs strictly increasing from `afterSeq`, each step either
 * +1 or announced by `skipped` ending at seq - 1. Returns the last seq accounted for.
 */
export function assertGapless(frames: readonly EventFrame[], afterSeq: number): number {
  let last = afterSeq;
  for (const frame of frames) {
    if (frame.seq !== last + 1) {
      if (!frame.skipped || frame.skipped.fromSeq !== last + 1 || frame.skipped.toSeq !== frame.seq - 1) {
        throw new Error(`gap or duplicate: after seq ${last} got seq ${frame.seq}${frame.skipped ? ` with skipped ${JSON.stringify(frame.skipped)}` : ''}`);
      }
    }
    last = frame.seq;
  }
  return last;
}
