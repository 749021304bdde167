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
  | { kind: 'frames'; channel: FrameChannel; sessionId: string; frames: Array<EventFrame | ToolFrame> }
  | { kind: 'emit'; event: ServerEventName; payload: unknown }
  | { kind: 'ack'; ack: (result: unknown) => void; result: unknown }
  | { kind: 'slot'; filled: boolean; ack: ((result: unknown) => void) | undefined; result: unknown };

/** A reserved place in the outbox order for an answer that is not known yet. */
export interface AnswerSlot {
  fill(ack: ((result: unknown) => void) | undefined, result: unknown): void;
}

/**
 * Everything the gateway sends to one socket goes through its outbox, in order: events, frames and
 * acknowledgements. Frames queued in the same tick are packed into batches (consecutive frames of one
 * channel and session, up to maxFramesPerBatch) and flushed on setImmediate, which amortises
 * Socket.IO's per-packet cost without ever reordering anything.
 */
export class Outbox {
  private items: OutItem[] = [];
  private scheduled = false;
  private closed = false;
  private queuedFrames = 0;
  /** Frames emitted over the socket's lifetime (for diagnostics). */
  framesSent = 0;
  batchesSent = 0;

  /** The protocol version this socket negotiated, when it is older than the gateway's own. */
  private readonly olderVersion: string | undefined;

  constructor(
    readonly socket: GatewaySocket,
    private readonly maxFramesPerBatch: number,
    private readonly writeBatch: BatchWriter = emitBatch,
  ) {
    const negotiated = socket.data.protocolVersion;
    this.olderVersion = negotiated !== undefined && negotiated !== PROTOCOL_VERSION ? negotiated : undefined;
  }

  get id(): string {
    return this.socket.id;
  }

  emit<E extends ServerEventName>(event: E, payload: ServerEventPayload<E>): void {
    this.push({ kind: 'emit', event, payload });
  }

  frame(channel: FrameChannel, sessionId: string, frame: EventFrame | ToolFrame): void {
    if (this.closed) return;
    const last = this.items[this.items.length - 1];
    this.queuedFrames += 1;
    if (last?.kind === 'frames' && last.channel === channel && last.sessionId === sessionId && last.frames.length < this.maxFramesPerBatch) {
      last.frames.push(frame);
      return;
    }
    this.push({ kind: 'frames', channel, sessionId, frames: [frame] });
  }

  /** Answer a request in order with everything queued before it (e.g. after its replay). */
  ack<R>(ack: (result: R) => void, result: R): void {
    this.push({ kind: 'ack', ack: ack as (result: unknown) => void, result });
  }

  /**
   * Reserve the current position for an acknowledgement computed later. Nothing queued after the
   * slot is sent before it is filled: a join reserves its answer right after its replay, so live
   * frames appended meanwhile wait behind the acknowledgement.
   */
  reserve(): AnswerSlot {
    const item: OutItem & { kind: 'slot' } = { kind: 'slot', filled: false, ack: undefined, result: undefined };
    this.push(item);
    return {
      fill: (ack, result) => {
        if (item.filled) return;
        item.filled = true;
        item.ack = ack;
        item.result = result;
        this.schedule();
      },
    };
  }

  /** Frames queued here and not yet handed to Socket.IO. */
  get pendingFrames(): number {
    return this.queuedFrames;
  }

  /**
   * Bytes waiting below this outbox: engine.io's write buffer plus the WebSocket's own buffer.
   * A mirror policy compares it to its slow-consumer bound.
   */
  bufferedAmount(): number {
    const conn = this.socket.conn as unknown as {
      writeBuffer?: Array<{ data?: unknown }>;
      transport?: { socket?: { bufferedAmount?: number } };
    };
    let bytes = 0;
    for (const packet of conn.writeBuffer ?? []) {
      const data = packet.data;
      if (typeof data === 'string') bytes += data.length;
      else if (data && typeof (data as ArrayBufferLike).byteLength === 'number') bytes += (data as ArrayBufferLike).byteLength;
    }
    const ws = conn.transport?.socket?.bufferedAmount;
    if (typeof ws === 'number') bytes += ws;
    return bytes;
  }

  close(): void {
    this.closed = true;
    this.items = [];
    this.queuedFrames = 0;
  }

  /** Send everything queued now (normally done on setImmediate). */
  flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    const items = this.items;
    let sent = 0;
    for (const item of items) {
      if (item.kind === 'slot' && !item.filled) break;
      sent += 1;
      if (item.kind === 'slot') {
        item.ack?.(item.result);
      } else if (item.kind === 'frames') {
        this.queuedFrames -= item.frames.length;
        this.framesSent += item.frames.length;
        this.batchesSent += 1;
        this.writeBatch(this.socket, item.channel, this.downgraded(item.channel === 'session.tool' ? 'ToolBatch' : 'EventBatch', item.frames));
      } else if (item.kind === 'emit') {
        (this.socket.emit as (event: string, payload: unknown) => boolean)(item.event, this.downgraded(ServerEvents[item.event].payload, item.payload));
      } else {
        item.ack(item.result);
      }
    }
    this.items = sent === items.length ? [] : items.slice(sent);
  }

  /**
   * A message as this socket's negotiated minor defines it: what a later minor added is left out, so
   * a peer that speaks an older minor never receives a field or code it cannot validate.
   */
  private downgraded<T>(schema: 'EventBatch' | 'ToolBatch' | (typeof ServerEvents)[ServerEventName]['payload'], message: T): T {
    return this.olderVersion === undefined ? message : (downgradeMessage(schema, message, this.olderVersion) as T);
  }

  private push(item: OutItem): void {
    if (this.closed) return;
    this.items.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}
