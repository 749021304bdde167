import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { ChatSendData, Hello, Joined, ResyncReason, SessionEvent, SessionRow, Snapshot } from '@agent-gateway/schema';
import type { CursorStore } from './cursor-store.js';
import type { ClientError, InterruptReason } from './errors.js';
import type { RunReply } from './reply.js';
import type { ToolChange } from './session-view.js';
import type { ValidationMode } from './validation.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
export type FrameSource = 'replay' | 'live' | 'mirror';
/** Why a session view was rebuilt from a snapshot: the gateway's reason, or a gap the client detected. */
export type ClientResyncReason = ResyncReason | 'gap';

export interface GatewayClientOptions {
  url: string;
  token?: string;
  /** Credential for the conformance control surface; only test tooling needs it. */
  controlToken?: string;
  /** "MAJOR.MINOR" to ask for; default: the version this client was built against. */
  protocolVersion?: string;
  /** Validate every inbound message against the schema. 'development' (default): on unless NODE_ENV is production. */
  validateInbound?: ValidationMode;
  /** Persist each session's (epoch, seq) so a new client (a page reload) resumes by replay. */
  cursorStore?: CursorStore;
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Per-request acknowledgement timeout. Default 10 s. */
  requestTimeoutMs?: number;
  /** How many times `send` tries one message (same idempotency key) across disconnects. Default 3. */
  sendAttempts?: number;
  /** Default true. */
  autoConnect?: boolean;
}

export interface ClientStats {
  framesApplied: number;
  duplicatesDropped: number;
  staleDropped: number;
  /** Gaps, including frames that failed validation (each is a gap at its seq). */
  gapsDetected: number;
  /** Frames that failed inbound validation. */
  invalidFrames: number;
  resyncs: number;
  replayedFrames: number;
  reconnects: number;
  /** Replies stopped with RUN_INTERRUPTED (gateway restarted, session left). */
  runsInterrupted: number;
}

export function newClientStats(): ClientStats {
  return {
    framesApplied: 0,
    duplicatesDropped: 0,
    staleDropped: 0,
    gapsDetected: 0,
    invalidFrames: 0,
    resyncs: 0,
    replayedFrames: 0,
    reconnects: 0,
    runsInterrupted: 0,
  };
}

export interface GatewayClientEvents {
  /**
   * The connection changed state. `reason` is Socket.IO's (`io server disconnect`, `transport close`
   * …) or, when the gateway stated why it cut the connection (a `protocol.error` such as
   * `SLOW_CONSUMER` right before it), that code, with `error.wireError` carrying the gateway's error.
   */
  connection: { state: ConnectionState; reason?: string; error?: ClientError };
  hello: Hello;
  joined: Joined;
  /** One event applied to a session view, in seq order, exactly once. */
  frame: { sessionId: string; seq: number; event: SessionEvent; source: FrameSource };
  snapshot: { sessionId: string; snapshot: Snapshot };
  /** A session view was rebuilt from a snapshot after it had state (reconnect too late, gap, epoch change). */
  resync: { sessionId: string; reason: ClientResyncReason; snapshot: Snapshot };
  /** A session resumed by replay after a rejoin: nothing lost, nothing repeated. */
  resumed: { sessionId: string; since: number; cursor: number; replayed: number };
  /** Seqs are missing, the epoch changed, or a frame failed validation (`invalidFrame`): a resync follows. */
  gap: { sessionId: string; expectedSeq: number; receivedSeq: number; epochChanged: boolean; invalidFrame: boolean };
  /** Session rows changed; `removed` names rows dropped because the gateway they came from is gone. */
  sessions: { rows: SessionRow[]; changed: SessionRow[]; removed: string[] };
  /**
   * Runs of a session were closed without their own end: their replies rejected with
   * RUN_INTERRUPTED (`error`) and their open tool cards closed as interrupted.
   */
  interrupted: { sessionId: string; runIds: string[]; reason: InterruptReason; error: ClientError };
  tool: ToolChange;
  error: ClientError;
}

export interface SentMessage extends ChatSendData {
  idempotencyKey: string;
  reply: RunReply;
}
