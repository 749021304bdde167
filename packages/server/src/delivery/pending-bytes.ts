import type { EventFrame, SessionEvent, ToolFrame } from '@agent-gateway/schema';
import type { GatewaySocket } from '../transport/socket-types.js';

/*
 * What a socket's pending output weighs. The bound of R6.4 counts two parts: what the outbox still
 * holds (estimated from the events, before any encoding) and what already went below it — packets in
 * engine.io's write buffer and bytes in the WebSocket's send buffer — measured as they are.
 */

/** Top-level keys of a frame around its event: {"sessionId":"","epoch":"","seq":,"event":}. */
const FRAME_OVERHEAD = 48;

/**
 * The JSON size of an event, estimated without encoding it for the events that carry text (the
 * high-frequency ones); the rest are small or rare and are measured exactly. Text counts in UTF-16
 * units, which equals bytes for ASCII; an estimate is all a bound on a queue needs.
 */
export function estimateEventBytes(event: SessionEvent): number {
  switch (event.type) {
    case 'stream.chunk':
    case 'stream.end':
    case 'message':
    case 'response':
    case 'system.event':
      return event.text.length + 160;
    case 'run.start':
    case 'heartbeat':
      return 200;
    default:
      return jsonLength(event);
  }
}

export function estimateFrameBytes(frame: EventFrame | ToolFrame, eventBytes = estimateEventBytes(frame.event)): number {
  return FRAME_OVERHEAD + frame.sessionId.length + frame.epoch.length + 16 + eventBytes + (frame.skipped ? 80 : 0);
}

/** JSON size of any payload (emits and acknowledgements), 0 when it cannot be encoded. */
export function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

interface EnginePacket {
  data?: unknown;
}

interface EngineTransport {
  on(event: 'drain', listener: () => void): void;
  off(event: 'drain', listener: () => void): void;
  /** The ws WebSocket of the websocket transport. */
  socket?: { bufferedAmount?: number; terminate?: () => void };
}

interface EngineConnection {
  transport: EngineTransport;
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): void;
  on(event: 'flush', listener: () => void): void;
  on(event: 'upgrade', listener: (transport: EngineTransport) => void): void;
}

function packetBytes(packet: EnginePacket): number {
  const data = packet.data;
  if (typeof data === 'string') return data.length;
  if (data && typeof (data as ArrayBufferLike).byteLength === 'number') return (data as ArrayBufferLike).byteLength;
  return 0;
}

/**
 * Bytes below the outbox of one socket: engine.io's write buffer (tracked as packets are created
 * and flushed, so reading it costs nothing) plus the WebSocket's own send buffer. Also tells the
 * outbox when the transport has written out what it was given, whichever transport is current.
 */
export class TransportBuffer {
  private engineBytes = 0;
  private readonly conn: EngineConnection;
  private transport: EngineTransport;

  constructor(socket: GatewaySocket, onDrain: () => void) {
    this.conn = socket.conn as unknown as EngineConnection;
    this.transport = this.conn.transport;
    this.conn.on('packetCreate', (packet) => (this.engineBytes += packetBytes(packet)));
    // engine.io hands its whole write buffer to the transport at once.
    this.conn.on('flush', () => (this.engineBytes = 0));
    this.transport.on('drain', onDrain);
    this.conn.on('upgrade', (next) => {
      this.transport.off('drain', onDrain);
      this.transport = next;
      next.on('drain', onDrain);
    });
  }

  bytes(): number {
    const ws = this.transport.socket?.bufferedAmount;
    return this.engineBytes + (typeof ws === 'number' ? ws : 0);
  }

  /** Drop the connection at once, without waiting for the peer to read what is buffered. */
  terminate(): void {
    this.transport.socket?.terminate?.();
  }
}
