import {
  downgradeMessage,
  PROTOCOL_VERSION,
  ServerEvents,
  type EventFrame,
  type ServerEventName,
  type ServerEventPayload,
  type ToolFrame,
} from '@agent-gateway/schema';
import type { GatewaySocket } from '../transport/socket-types.js';
import { estimateFrameBytes, jsonLength, TransportBuffer } from './pending-bytes.js';

export type FrameChannel = 'replay' | 'session.event' | 'session.tool';

/**
 * Hands one batch of frames to the socket. The default emits it as is; the seam exists so a
 * gateway can observe or adapt what goes on the wire without touching the ordering above it.
 */
export type BatchWriter = (socket: GatewaySocket, channel: FrameChannel, frames: Array<EventFrame | ToolFrame>) => void;

export const emitBatch: BatchWriter = (socket, channel, frames) => {
  (socket.emit as (event: string, payload: unknown) => boolean)(channel, frames);
};

type OutItem =
  | { kind: 'frames'; channel: FrameChannel; sessionId: string; frames: Array<EventFrame | ToolFrame>; bytes: number }
  | { kind: 'emit'; event: ServerEventName; payload: unknown; bytes: number }
  | { kind: 'ack'; ack: (result: unknown) => void; result: unknown; bytes: number }
  | { kind: 'slot'; filled: boolean; ack: ((result: unknown) => void) | undefined; result: unknown; bytes: number };

/** A reserved place in the outbox order for an answer that is not known yet. */
export interface AnswerSlot {
  fill(ack: ((result: unknown) => void) | undefined, result: unknown): void;
}

export interface OutboxLimits {
  maxFramesPerBatch: number;
  /**
   * Bound of the pending output (queued here plus transport buffers). Whatever would pass it is not
   * queued: the outbox closes and reports the overflow instead (R6.4).
   */
  maxPendingBytes: number;
  /** Items are handed to Socket.IO only while the transport buffers hold less than this. */
  lowWaterBytes: number;
}

/** What the outbox reports when output would pass its bound; it is closed by then. */
export type OverflowHandler = (pendingBytes: number) => void;

/**
 * Everything the gateway sends to one socket goes through its outbox, in order: events, frames and
 * acknowledgements. Frames queued in the same tick are packed into batches (consecutive frames of one
 * channel and session, up to maxFramesPerBatch), which amortises Socket.IO's per-packet cost without
 * ever reordering anything.
 *
 * Items go down to Socket.IO only while the transport below has written out most of what it was
 * given (under `lowWaterBytes`); the rest waits here as references to events the log holds anyway,
 * so a socket that reads slowly costs the gateway no encoded copies. The whole — queued here plus the
 * transport buffers — is bounded by `maxPendingBytes`: an item that would pass the bound is not
 * queued, and the overflow handler cuts the connection (it resumes by cursor later).
 */
export class Outbox {
  private items: OutItem[] = [];
  /** Index of the first item not yet handed down. */
  private head = 0;
  private scheduled = false;
  private closed = false;
  private queuedFrames = 0;
  private queuedBytes = 0;
  private readonly transport: TransportBuffer;
  /** Frames emitted over the socket's lifetime (for diagnostics). */
  framesSent = 0;
  batchesSent = 0;

  /** The protocol version this socket negotiated, when it is older than the gateway's own. */
  private readonly olderVersion: string | undefined;

  constructor(
    readonly socket: GatewaySocket,
    private readonly limits: OutboxLimits,
    private readonly writeBatch: BatchWriter = emitBatch,
    private readonly onOverflow: OverflowHandler = () => undefined,
  ) {
    const negotiated = socket.data.protocolVersion;
    this.olderVersion = negotiated !== undefined && negotiated !== PROTOCOL_VERSION ? negotiated : undefined;
    this.transport = new TransportBuffer(socket, () => {
      if (this.items.length > this.head) this.schedule();
    });
  }

  /** The socket negotiated an earlier minor than the gateway's: it receives messages as that minor defines them. */
  get servesOlderMinor(): boolean {
    return this.olderVersion !== undefined;
  }

  get id(): string {
    return this.socket.id;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  emit<E extends ServerEventName>(event: E, payload: ServerEventPayload<E>): void {
    this.push({ kind: 'emit', event, payload, bytes: jsonLength(payload) + event.length + 8 });
  }

  /** Queue a frame; `bytes` is its estimated JSON size when the caller knows it already. */
  frame(channel: FrameChannel, sessionId: string, frame: EventFrame | ToolFrame, bytes = estimateFrameBytes(frame)): void {
    if (this.closed || !this.admit(bytes)) return;
    this.queuedFrames += 1;
    this.queuedBytes += bytes;
    const last = this.items.length > this.head ? this.items[this.items.length - 1] : undefined;
    if (last?.kind === 'frames' && last.channel === channel && last.sessionId === sessionId && last.frames.length < this.limits.maxFramesPerBatch) {
      last.frames.push(frame);
      last.bytes += bytes;
      this.schedule();
      return;
    }
    this.items.push({ kind: 'frames', channel, sessionId, frames: [frame], bytes });
    this.schedule();
  }

  /** Answer a request in order with everything queued before it (e.g. after its replay). */
  ack<R>(ack: (result: R) => void, result: R): void {
    this.push({ kind: 'ack', ack: ack as (result: unknown) => void, result, bytes: jsonLength(result) + 16 });
  }

  /**
   * Reserve the current position for an acknowledgement computed later. Nothing queued after the
   * slot is sent before it is filled: a join reserves its answer right after its replay, so live
   * frames appended meanwhile wait behind the acknowledgement.
   */
  reserve(): AnswerSlot {
    const item: OutItem & { kind: 'slot' } = { kind: 'slot', filled: false, ack: undefined, result: undefined, bytes: 0 };
    this.push(item);
    return {
      fill: (ack, result) => {
        if (item.filled || this.closed) return;
        item.filled = true;
        item.ack = ack;
        item.result = result;
        // An answer is small and owed: it is counted, never refused.
        item.bytes = jsonLength(result) + 16;
        this.queuedBytes += item.bytes;
        this.schedule();
      },
    };
  }

  /** Items (frames batches, events, answers) queued here and not yet handed to Socket.IO. */
  get queuedItems(): number {
    return this.items.length - this.head;
  }

  /** Frames queued here and not yet handed to Socket.IO. */
  get pendingFrames(): number {
    return this.queuedFrames;
  }

  /** Everything this socket still owes its peer, in bytes: queued here plus the transport buffers. */
  pendingBytes(): number {
    return this.queuedBytes + this.transport.bytes();
  }

  /** Bytes in the transport buffers below the outbox. */
  bufferedAmount(): number {
    return this.transport.bytes();
  }

  close(): void {
    this.closed = true;
    this.items = [];
    this.head = 0;
    this.queuedFrames = 0;
    this.queuedBytes = 0;
  }

  /** Drop the connection without waiting for the peer to read what is buffered. */
  terminate(): void {
    this.close();
    this.transport.terminate();
  }

  /** Hand queued items to Socket.IO while the transport keeps up (normally done on setImmediate). */
  flush(): void {
    this.scheduled = false;
    while (!this.closed && this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (item.kind === 'slot' && !item.filled) break;
      // The rest waits for the transport's drain event. An item larger than the low-water mark
      // still goes down once the buffers below are under it.
      if (this.transport.bytes() >= this.limits.lowWaterBytes) break;
      this.head += 1;
      this.queuedBytes -= item.bytes;
      if (item.kind === 'slot') {
        item.ack?.(item.result);
      } else if (item.kind === 'frames') {
        this.queuedFrames -= item.frames.length;
        this.framesSent += item.frames.length;
        this.batchesSent += 1;
        const frames = this.downgraded(item.channel === 'session.tool' ? 'ToolBatch' : 'EventBatch', item.frames);
        if (frames !== undefined && frames.length > 0) this.writeBatch(this.socket, item.channel, frames);
      } else if (item.kind === 'emit') {
        // A message the socket's minor cannot express at all is not sent to it.
        const payload = this.downgraded(ServerEvents[item.event].payload, item.payload);
        if (payload !== undefined) (this.socket.emit as (event: string, payload: unknown) => boolean)(item.event, payload);
      } else {
        item.ack(item.result);
      }
    }
    if (this.closed) return;
    // Drop what was sent, without copying the rest on every flush of a long queue.
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * A message as this socket's negotiated minor defines it: what a later minor added is left out, so
   * a peer that speaks an older minor never receives a field or code it cannot validate.
   */
  private downgraded<T>(schema: 'EventBatch' | 'ToolBatch' | (typeof ServerEvents)[ServerEventName]['payload'], message: T): T | undefined {
    return this.olderVersion === undefined ? message : (downgradeMessage(schema, message, this.olderVersion) as T | undefined);
  }

  private push(item: OutItem): void {
    if (this.closed || !this.admit(item.bytes)) return;
    this.queuedBytes += item.bytes;
    this.items.push(item);
    this.schedule();
  }

  /** Would this many more bytes stay within the bound? If not, close and report the overflow. */
  private admit(bytes: number): boolean {
    const pending = this.pendingBytes() + bytes;
    if (pending <= this.limits.maxPendingBytes) return true;
    this.close();
    this.onOverflow(pending);
    return false;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}
