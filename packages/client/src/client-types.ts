import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { ChatSendData, Hello, Joined, ResyncReason, SessionEvent, SessionRow, Snapshot } from '@agent-gateway/schema';
import type { CursorStore } from './cursor-store.js';
import type { ClientError } from './errors.js';
import type { RunReply } from './reply.js';
import type { ToolChange } from './session-views.js';
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
  gapsDetected: number;
  resyncs: number;
  replayedFrames: number;
  reconnects: number;
}

export interface GatewayClientEvents {
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
  gap: { sessionId: string; expectedSeq: number; receivedSeq: number; epochChanged: boolean };
  sessions: { rows: SessionRow[]; changed: SessionRow[] };
  tool: ToolChange;
  error: ClientError;
}

export interface SentMessage extends ChatSendData {
  idempotencyKey: string;
  reply: RunReply;
}
