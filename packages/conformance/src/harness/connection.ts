import { io, type Socket } from 'socket.io-client';
import {
  Requests,
  ServerEvents,
  validate,
  type EventFrame,
  type Hello,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type SchemaName,
} from '@agent-gateway/schema';
import { CheckFailure, CheckTimeout } from './errors.js';
import type { WireLog } from './wire-log.js';

/** Where a frame came from: the three event names that carry session frames. */
export type FrameSource = 'replay' | 'session.event' | 'session.tool';
export const FRAME_EVENTS: readonly FrameSource[] = ['replay', 'session.event', 'session.tool'];

/** One inbound packet, or the arrival of an acknowledgement, in arrival order. */
export interface Packet {
  index: number;
  kind: 'event' | 'ack';
  event: string;
  payload: unknown;
  /** False when the payload failed schema validation (recorded as a violation). */
  valid: boolean;
}

export interface ObservedFrame {
  source: FrameSource;
  packetIndex: number;
  frame: EventFrame;
}

export interface ConnectionOptions {
  url: string;
  /** Handshake `auth` object exactly as sent (the caller decides which keys appear). */
  auth: Record<string, unknown>;
  log: WireLog;
  signal: AbortSignal;
  /** HTTP headers of the WebSocket upgrade (an `Origin` a browser would send). */
  extraHeaders?: Record<string, string>;
}

/** The part of the `ws` WebSocket under engine.io-client that pauses reading from the TCP socket. */
interface PausableWebSocket {
  pause(): void;
  resume(): void;
}

export interface ConnectRefusal {
  message: string;
  data: unknown;
}

interface Waiter {
  what: string;
  probe: () => boolean;
  reject: (error: Error) => void;
}

/**
 * A raw socket.io-client connection with a complete, validated record of the conversation.
 * Listeners are attached before the socket connects, so nothing the gateway sends can be missed;
 * waits re-examine the buffer on every arrival instead of sleeping.
 */
export class Connection {
  readonly socket: Socket;
  readonly packets: Packet[] = [];
  hello: Hello | undefined;
  refusal: ConnectRefusal | undefined;
  disconnectReason: string | undefined;
  private readonly framesBySession = new Map<string, ObservedFrame[]>();
  private readonly waiters = new Set<Waiter>();
  private ackCounter = 0;

  constructor(
    readonly name: string,
    private readonly options: ConnectionOptions,
  ) {
    const { log } = options;
    this.socket = io(options.url, {
      autoConnect: false,
      reconnection: false,
      forceNew: true,
      transports: ['websocket'],
      auth: options.auth,
      timeout: 10_000,
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    });
    this.socket.onAny((event: string, ...args: unknown[]) => this.onInbound(event, args));
    this.socket.on('connect_error', (error: Error & { data?: unknown }) => {
      this.refusal = { message: error.message, data: error.data };
      log.record(name, 'in', 'connect_error', { message: error.message, data: error.data });
      this.settle();
    });
    this.socket.on('disconnect', (reason: string) => {
      this.disconnectReason = reason;
      log.record(name, 'note', 'disconnect', reason);
      this.settle();
    });
  }

  get log(): WireLog {
    return this.options.log;
  }

  private onInbound(event: string, args: unknown[]): void {
    const payload = args.length === 1 ? args[0] : args;
    this.log.record(this.name, 'in', event, payload);
    let valid = true;
    const entry = Object.hasOwn(ServerEvents, event) ? (ServerEvents as Record<string, { payload: SchemaName }>)[event] : undefined;
    if (!entry || args.length !== 1) {
      valid = false;
      this.log.violation({
        connection: this.name,
        direction: 'in',
        event,
        schema: entry ? entry.payload : '(no such server event)',
        issues: [
          {
            path: '',
            message: entry ? `expected exactly one argument, got ${args.length}` : 'the protocol defines no server event of this name',
            keyword: 'event',
          },
        ],
        payload,
      });
    } else {
      const result = validate(entry.payload, payload);
      if (!result.ok) {
        valid = false;
        this.log.violation({ connection: this.name, direction: 'in', event, schema: entry.payload, issues: result.issues, payload });
      }
    }
    const packet: Packet = { index: this.packets.length, kind: 'event', event, payload, valid };
    this.packets.push(packet);
    if (event === 'hello' && valid) this.hello = payload as Hello;
    if ((FRAME_EVENTS as readonly string[]).includes(event)) this.indexFrames(event as FrameSource, packet);
    this.settle();
  }

  /** Frames are indexed even when the batch failed validation, as far as they look like frames, so checks can still judge them. */
  private indexFrames(source: FrameSource, packet: Packet): void {
    const batch = Array.isArray(packet.payload) ? packet.payload : [packet.payload];
    for (const item of batch) {
      if (!item || typeof item !== 'object') continue;
      const frame = item as EventFrame;
      const sessionId = typeof frame.sessionId === 'string' ? frame.sessionId : '(none)';
      let list = this.framesBySession.get(sessionId);
      if (!list) this.framesBySession.set(sessionId, (list = []));
      list.push({ source, packetIndex: packet.index, frame });
    }
  }

  /** Every frame received for a session so far, in arrival order. */
  frames(sessionId: string): readonly ObservedFrame[] {
    return this.framesBySession.get(sessionId) ?? [];
  }

  /** Re-run every pending wait after something arrived. */
  private settle(): void {
    for (const waiter of [...this.waiters]) {
      try {
        waiter.probe();
      } catch (error) {
        this.waiters.delete(waiter);
        waiter.reject(error as Error);
      }
    }
  }

  /**
   * Resolve with the first defined value `probe` returns, evaluated now and after every arrival.
   * Fails when the check's time budget runs out or the gateway closes the connection.
   */
  waitUntil<T>(what: string, probe: () => T | undefined, opts: { allowDisconnected?: boolean } = {}): Promise<T> {
    const signal = this.options.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(new CheckTimeout(`timed out waiting for ${what} on connection ${this.name}`, [what], 'nothing matching arrived in time'));
      };
      const waiter: Waiter = {
        what,
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
        probe: () => {
          const value = probe();
          if (value !== undefined) {
            this.waiters.delete(waiter);
            signal.removeEventListener('abort', onAbort);
            resolve(value);
            return true;
          }
          if (!opts.allowDisconnected && this.disconnectReason !== undefined) {
            throw new CheckFailure(
              `the gateway closed connection ${this.name} (${this.disconnectReason}) while waiting for ${what}`,
              [what],
              `disconnect: ${this.disconnectReason}`,
            );
          }
          return false;
        },
      };
      if (signal.aborted) return onAbort();
      try {
        if (waiter.probe()) return;
      } catch (error) {
        return reject(error as Error);
      }
      this.waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wait for an inbound event (at or after packet index `from`) whose payload satisfies `predicate`. */
  waitFor<T = unknown>(event: string, predicate: (payload: T) => boolean = () => true, from = 0): Promise<Packet & { payload: T }> {
    return this.waitUntil(`event ${event}`, () => {
      for (let i = from; i < this.packets.length; i++) {
        const p = this.packets[i]!;
        if (p.kind === 'event' && p.event === event && predicate(p.payload as T)) return p as Packet & { payload: T };
      }
      return undefined;
    });
  }

  /** Wait for a frame of a session that satisfies `predicate`. */
  waitForFrame(sessionId: string, what: string, predicate: (f: ObservedFrame) => boolean): Promise<ObservedFrame> {
    return this.waitUntil(`${what} in session ${sessionId}`, () => this.frames(sessionId).find(predicate));
  }

  /** Connect and wait for `hello`. A refusal is a check failure naming what the gateway said. */
  async open(): Promise<Hello> {
    this.socket.connect();
    // An invalid hello still ends the wait: its schema violation is already recorded and judged.
    const outcome = await this.waitUntil('hello', () => (this.packets.some((p) => p.event === 'hello') ? 'hello' : this.refusal ? 'refused' : undefined));
    if (outcome === 'refused') {
      throw new CheckFailure(`the gateway refused connection ${this.name}: ${this.refusal?.message}`, ['hello'], this.refusal);
    }
    return this.hello ?? (this.packets.find((p) => p.event === 'hello')!.payload as Hello);
  }

  /** Connect expecting the handshake to be refused; returns what the gateway answered. */
  async openExpectingRefusal(): Promise<{ refused: true; refusal: ConnectRefusal } | { refused: false; hello: Hello | undefined }> {
    this.socket.connect();
    const outcome = await this.waitUntil(
      'connect_error or hello',
      () => (this.refusal ? 'refused' : this.hello || this.packets.length > 0 ? 'accepted' : this.disconnectReason !== undefined ? 'closed' : undefined),
      { allowDisconnected: true },
    );
    if (outcome === 'refused') return { refused: true, refusal: this.refusal! };
    return { refused: false, hello: this.hello };
  }

  /** Send a well-formed request; the params are validated before leaving, the answer when it arrives. */
  async request<E extends RequestName>(name: E, params: RequestParams<E>): Promise<RequestResult<E>> {
    const entry = Requests[name];
    const check = validate(entry.params, params);
    if (!check.ok) {
      this.log.violation({ connection: this.name, direction: 'out', event: name, schema: entry.params, issues: check.issues, payload: params });
      throw new Error(`harness bug: outbound ${name} does not match ${entry.params}: ${JSON.stringify(check.issues)}`);
    }
    const packet = await this.requestRaw(name, params);
    return packet.payload as RequestResult<E>;
  }

  /**
   * Send anything as `event` with an acknowledgement and wait for the answer. The answer is
   * validated against the request's result schema (or against the error shape for unknown events).
   */
  requestRaw(event: string, ...args: unknown[]): Promise<Packet> {
    const ackId = ++this.ackCounter;
    this.log.record(this.name, 'out', event, args.length === 1 ? args[0] : args);
    let answered: Packet | undefined;
    this.socket.emit(event, ...args, (...answer: unknown[]) => {
      const payload = answer.length === 1 ? answer[0] : answer;
      this.log.record(this.name, 'ack', event, payload);
      const known = Object.hasOwn(Requests, event) ? (Requests as Record<string, { result: SchemaName }>)[event] : undefined;
      const schema: SchemaName = known ? known.result : 'ControlResult';
      let valid = true;
      const result = known ? validate(schema, payload) : validateFailure(payload);
      if (!result.ok || answer.length !== 1) {
        valid = false;
        this.log.violation({
          connection: this.name,
          direction: 'ack',
          event,
          schema: known ? schema : '{ ok: false, error: WireError }',
          issues:
            answer.length !== 1
              ? [{ path: '', message: `acknowledgement must carry exactly one argument, got ${answer.length}`, keyword: 'ack' }]
              : result.ok
                ? []
                : result.issues,
          payload,
        });
      }
      answered = { index: this.packets.length, kind: 'ack', event: `ack:${event}#${ackId}`, payload, valid };
      this.packets.push(answered);
      this.settle();
    });
    return this.waitUntil(`acknowledgement of ${event}`, () => answered);
  }

  /** Send anything without an acknowledgement. */
  emitRaw(event: string, ...args: unknown[]): void {
    this.log.record(this.name, 'out', event, args.length === 1 ? args[0] : args);
    this.socket.emit(event, ...args);
  }

  /**
   * Stop reading the TCP socket, as a client on a slow network or a stalled browser tab would: the
   * gateway's writes pile up in the kernel buffers and then in its own. Nothing is lost on this
   * side; `resumeReading` delivers everything that waited, in order.
   */
  pauseReading(): void {
    this.transportSocket().pause();
    this.log.record(this.name, 'note', 'pause-reading', null);
  }

  resumeReading(): void {
    this.log.record(this.name, 'note', 'resume-reading', null);
    this.transportSocket().resume();
  }

  private transportSocket(): PausableWebSocket {
    const transport = (this.socket.io.engine as unknown as { transport?: { name?: string; ws?: Partial<PausableWebSocket> } }).transport;
    const ws = transport?.ws;
    if (transport?.name !== 'websocket' || typeof ws?.pause !== 'function' || typeof ws.resume !== 'function') {
      throw new Error(`harness: connection ${this.name} has no WebSocket whose reading can be paused`);
    }
    return ws as PausableWebSocket;
  }

  /**
   * Wait until everything the gateway queued for this connection before now has arrived: one
   * request and its acknowledgement, which the gateway answers after what it sent earlier.
   */
  async barrier(): Promise<void> {
    const result = (await this.requestRaw('sessions.list', { limit: 1 })).payload as { ok?: boolean } | undefined;
    if (result?.ok !== true) throw new CheckFailure(`connection ${this.name} did not answer sessions.list`, ['sessions.list answers ok'], result);
  }

  close(): void {
    for (const waiter of this.waiters) waiter.reject(new Error(`connection ${this.name} closed`));
    this.waiters.clear();
    this.socket.removeAllListeners();
    this.socket.offAny();
    this.socket.disconnect();
  }
}

/** Answers to events the protocol does not define must still be a well-formed failure. */
function validateFailure(payload: unknown) {
  const asResult = validate('JoinResult', payload);
  if (asResult.ok && (payload as { ok: boolean }).ok === false) return asResult;
  if (asResult.ok) return { ok: false as const, issues: [{ path: '/ok', message: 'an unknown event must not succeed', keyword: 'const' }] };
  return asResult;
}
