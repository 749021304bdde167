import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  Requests,
  ServerEvents,
  validate,
  type ChatAbortData,
  type ChatSendData,
  type ClientToServerEvents,
  type EventFrame,
  type Hello,
  type Joined,
  type RequestData,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type ResyncReason,
  type ServerEventName,
  type ServerEventPayload,
  type ServerToClientEvents,
  type SessionEvent,
  type SessionRow,
  type SessionsChanged,
  type Snapshot,
  type ToolFrame,
  type WireError,
} from '@agent-gateway/schema';
import { Conversation } from './conversation.js';
import type { CursorStore, StoredCursor } from './cursor-store.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, ClientErrorCodes, isClientError } from './errors.js';
import { RunReply } from './reply.js';
import { ResumeTracker } from './resume.js';
import { SessionsStore } from './sessions-store.js';
import { ToolCards, type ToolCard, type ToolCardChange } from './tool-cards.js';
import { resolveValidation, validateInbound, type ValidationMode } from './validation.js';

export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
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
  tool: { sessionId: string; runId: string; card: ToolCard; change: ToolCardChange };
  error: ClientError;
}

export interface SentMessage extends ChatSendData {
  idempotencyKey: string;
  reply: RunReply;
}

interface PendingJoin {
  since: number | undefined;
  /** Set when the client itself asked for the snapshot (gap). */
  reason: ClientResyncReason | undefined;
  hadState: boolean;
  replayed: number;
  joined: Joined | undefined;
}

const MAX_KEPT_REPLIES = 200;

function newIdempotencyKey(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  // randomUUID needs a secure context in browsers; plain http on a LAN address falls back.
  if (typeof cryptoApi?.randomUUID === 'function') return `send-${cryptoApi.randomUUID()}`;
  return `send-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && typeof (value as WireError).code === 'string' && typeof (value as WireError).message === 'string';
}

export class GatewayClient extends TypedEmitter<GatewayClientEvents> {
  readonly socket: GatewaySocket;
  readonly sessions = new SessionsStore();
  readonly tools = new ToolCards();
  readonly stats: ClientStats = { framesApplied: 0, duplicatesDropped: 0, staleDropped: 0, gapsDetected: 0, resyncs: 0, replayedFrames: 0, reconnects: 0 };
  hello: Hello | undefined;
  state: ConnectionState = 'connecting';

  private readonly options: GatewayClientOptions;
  private readonly validating: boolean;
  private readonly tracker = new ResumeTracker();
  private readonly pendingJoins = new Map<string, PendingJoin>();
  private readonly joinsInFlight = new Map<string, Promise<Joined>>();
  private readonly resyncQueued = new Set<string>();
  private readonly conversations = new Map<string, Conversation>();
  private readonly replies = new Map<string, RunReply>();
  /** Runs this client started and that have not ended: it asks to stay run-scoped for them after a reconnect. */
  private readonly ownRuns = new Map<string, { sessionId: string; runId: string }>();
  private closed = false;
  private everConnected = false;
  private serverKickTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: GatewayClientOptions) {
    super();
    if (typeof options.url !== 'string' || options.url.length === 0) {
      throw new ClientError(ClientErrorCodes.InvalidArgument, 'createGatewayClient needs a url');
    }
    this.options = options;
    this.validating = resolveValidation(options.validateInbound);
    const auth: Record<string, string> = { protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION };
    if (options.token !== undefined) auth.token = options.token;
    if (options.controlToken !== undefined) auth.controlToken = options.controlToken;
    this.socket = io(options.url, {
      reconnectionDelay: 200,
      reconnectionDelayMax: 2000,
      transports: ['websocket'],
      ...options.socketOptions,
      autoConnect: false,
      auth,
    }) as GatewaySocket;
    this.wire();
    if (options.autoConnect !== false) this.socket.connect();
  }

  // ---------------------------------------------------------------- connection

  private setState(state: ConnectionState, reason?: string, error?: ClientError): void {
    this.state = state;
    const payload: GatewayClientEvents['connection'] = { state };
    if (reason !== undefined) payload.reason = reason;
    if (error !== undefined) payload.error = error;
    this.emit('connection', payload);
  }

  private wire(): void {
    const socket = this.socket;
    socket.on('connect', () => {
      if (this.everConnected) this.stats.reconnects++;
      this.everConnected = true;
      this.setState('connected');
      // Rejoin every session we follow, resuming from the cursor we hold.
      for (const sessionId of this.tracker.sessionIds()) {
        const rejoined = this.rejoin(sessionId, undefined);
        if (this.stats.reconnects > 0) void rejoined.then(() => this.resubscribeOwnRuns(sessionId), () => undefined);
      }
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.setState('reconnecting', reason);
      // Socket.IO does not reconnect by itself after a server-side disconnect; a gateway restarting
      // or shedding load is exactly when a client must come back and resume.
      if (reason === 'io server disconnect') {
        this.serverKickTimer = setTimeout(() => {
          this.serverKickTimer = undefined;
          if (!this.closed) socket.connect();
        }, this.options.socketOptions?.reconnectionDelay ?? 200);
      }
    });
    socket.on('connect_error', (err: Error & { data?: unknown }) => {
      if (this.closed) return;
      const data = err.data;
      if (isWireError(data)) {
        // The gateway refused us (token, protocol version): retrying will not help.
        const error = new ClientError(ClientErrorCodes.ConnectRefused, `Gateway refused the connection: ${data.code}: ${data.message}`, { wireError: data });
        this.setState('disconnected', data.code, error);
        this.emit('error', error);
      } else {
        this.setState(socket.active ? 'reconnecting' : 'disconnected', err.message);
      }
    });

    this.onInbound('hello', (hello) => {
      this.hello = hello;
      this.emit('hello', hello);
    });
    this.onInbound('joined', (joined) => this.handleJoined(joined));
    this.onInbound('replay', (batch) => this.handleFrames(batch, 'replay'));
    this.onInbound('snapshot', (snapshot) => this.handleSnapshot(snapshot));
    this.onInbound('session.event', (batch) => this.handleFrames(batch, 'live'));
    this.onInbound('session.tool', (batch) => this.handleFrames(batch, 'mirror'));
    this.onInbound('sessions.changed', (changed) => this.handleSessionsChanged(changed));
    this.onInbound('protocol.error', (payload) => {
      const error = new ClientError(ClientErrorCodes.RequestFailed, `Gateway reported a protocol error: ${payload.error.message}`, { wireError: payload.error });
      this.emit('error', error);
    });
  }

  /** Subscribe to a server event through the validator: an invalid message is reported and dropped. */
  private onInbound<E extends ServerEventName>(event: E, handler: (payload: ServerEventPayload<E>) => void): void {
    const listener = (payload: unknown) => {
      if (this.validating) {
        const checked = validateInbound(`server event "${event}"`, ServerEvents[event].payload, payload);
        if (!checked.ok) {
          this.emit('error', checked.error);
          return;
        }
      }
      handler(payload as ServerEventPayload<E>);
    };
    (this.socket as unknown as { on(event: string, listener: (payload: unknown) => void): void }).on(event, listener);
  }

  /** Resolves once connected and greeted (`hello`). */
  connect(timeoutMs = this.options.requestTimeoutMs ?? 10_000): Promise<Hello> {
    if (this.closed) return Promise.reject(new ClientError(ClientErrorCodes.Closed, 'The client is closed'));
    if (this.hello && this.socket.connected) return Promise.resolve(this.hello);
    if (!this.socket.active) this.socket.connect();
    return new Promise<Hello>((resolve, reject) => {
      const offs: Array<() => void> = [];
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
      };
      const timer = setTimeout(() => {
        done();
        reject(new ClientError(ClientErrorCodes.Timeout, `No hello from the gateway within ${timeoutMs} ms`));
      }, timeoutMs);
      offs.push(
        this.once('hello', (hello) => {
          done();
          resolve(hello);
        }),
        this.on('connection', ({ state, error }) => {
          if (state === 'disconnected' && error) {
            done();
            reject(error);
          }
        }),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.serverKickTimer) clearTimeout(this.serverKickTimer);
    this.socket.disconnect();
    const closedError = new ClientError(ClientErrorCodes.Closed, 'The client was closed before the run ended');
    for (const reply of this.replies.values()) reply.fail(closedError);
    this.setState('disconnected', 'closed by the application');
    this.removeAllListeners();
  }

  private waitConnected(deadline: number): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ClientError(ClientErrorCodes.Timeout, 'Not connected to the gateway in time'));
      }, Math.max(0, deadline - Date.now()));
      const onConnect = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const off = () => this.socket.off('connect', onConnect);
      this.socket.on('connect', onConnect);
    });
  }

  // ---------------------------------------------------------------- requests

  /**
   * Send one request and wait for its acknowledgement. Waits for a connection first; fails with
   * DISCONNECTED when the connection drops before the answer (the gateway may or may not have acted).
   */
  async request<E extends RequestName>(name: E, params: RequestParams<E>, options: { timeoutMs?: number } = {}): Promise<RequestData<E>> {
    if (this.closed) throw new ClientError(ClientErrorCodes.Closed, 'The client is closed', { event: name });
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    await this.waitConnected(deadline);
    const socket = this.socket;
    const result = await new Promise<RequestResult<E>>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
      };
      const onDisconnect = () => {
        cleanup();
        reject(new ClientError(ClientErrorCodes.Disconnected, `Connection lost before "${name}" was answered`, { event: name }));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new ClientError(ClientErrorCodes.Timeout, `"${name}" was not answered within ${timeoutMs} ms`, { event: name }));
      }, Math.max(0, deadline - Date.now()));
      socket.on('disconnect', onDisconnect);
      (socket as unknown as { emit(event: string, params: unknown, ack: (result: unknown) => void): void }).emit(name, params, (answer: unknown) => {
        cleanup();
        if (this.validating) {
          const checked = validateInbound(`acknowledgement of "${name}"`, Requests[name].result, answer);
          if (!checked.ok) {
            this.emit('error', checked.error);
            reject(checked.error);
            return;
          }
        }
        resolve(answer as RequestResult<E>);
      });
    });
    if (result.ok) return result.data as RequestData<E>;
    const wireError = (result as { error: WireError }).error;
    throw new ClientError(ClientErrorCodes.RequestFailed, `"${name}" failed: ${wireError.code}: ${wireError.message}`, { wireError, event: name });
  }

  // ---------------------------------------------------------------- sessions

  async listSessions(limit?: number): Promise<SessionRow[]> {
    const data = await this.request('sessions.list', limit === undefined ? {} : { limit });
    const changed = this.sessions.applyList(data.sessions);
    this.emit('sessions', { rows: this.sessions.list(), changed });
    return this.sessions.list();
  }

  private handleSessionsChanged(changed: SessionsChanged): void {
    if (this.sessions.apply(changed.row)) this.emit('sessions', { rows: this.sessions.list(), changed: [changed.row] });
  }

  // ---------------------------------------------------------------- join and resume

  /**
   * Follow a session: join it (resuming from a stored cursor when there is one) and keep it joined
   * across reconnects. Resolves with the gateway's `joined` answer once replay or snapshot is applied.
   */
  async join(sessionId: string): Promise<Joined> {
    const inFlight = this.joinsInFlight.get(sessionId);
    if (inFlight) return inFlight;
    const position = this.tracker.get(sessionId);
    if (position && position.phase === 'live' && position.epoch !== undefined) {
      const joined = this.pendingJoins.get(sessionId)?.joined;
      if (joined) return joined;
    }
    let resumeFrom: StoredCursor | undefined;
    if (!position && this.options.cursorStore) resumeFrom = await this.options.cursorStore.load(sessionId);
    return this.rejoin(sessionId, undefined, resumeFrom);
  }

  async leave(sessionId: string): Promise<void> {
    this.tracker.forget(sessionId);
    this.pendingJoins.delete(sessionId);
    this.conversations.delete(sessionId);
    this.tools.forgetSession(sessionId);
    if (this.socket.connected) await this.request('leave', { sessionId });
  }

  /** Where the client stands in a session's log. */
  position(sessionId: string): StoredCursor | undefined {
    const position = this.tracker.get(sessionId);
    return position?.epoch === undefined ? undefined : { epoch: position.epoch, seq: position.seq };
  }

  conversation(sessionId: string): Conversation {
    let conversation = this.conversations.get(sessionId);
    if (!conversation) {
      conversation = new Conversation();
      this.conversations.set(sessionId, conversation);
    }
    return conversation;
  }

  /**
   * (Re)join a session. `fresh` asks for a snapshot (after a gap); otherwise the client resumes from
   * the cursor it holds. Retries across disconnects: the reconnect handler rejoins anyway.
   */
  private rejoin(sessionId: string, reason: ClientResyncReason | undefined, resumeFrom?: StoredCursor): Promise<Joined> {
    const existing = this.tracker.get(sessionId);
    const hadState = existing?.epoch !== undefined;
    const position = this.tracker.beginJoin(sessionId, resumeFrom);
    const params: RequestParams<'join'> = { sessionId };
    if (reason === undefined && position.epoch !== undefined) {
      params.since = position.seq;
      params.epoch = position.epoch;
    }
    const pending: PendingJoin = { since: params.since, reason, hadState, replayed: 0, joined: undefined };
    this.pendingJoins.set(sessionId, pending);
    const attempt = this.request('join', params).then(
      (joined) => {
        // Some gateways may answer only through the acknowledgement.
        if (!pending.joined) this.handleJoined(joined);
        if (this.tracker.get(sessionId)?.phase === 'joining') this.tracker.joined(sessionId, joined.epoch);
        if (!joined.resyncRequired && pending.since !== undefined && hadState) {
          this.emit('resumed', { sessionId, since: pending.since, cursor: joined.cursor, replayed: pending.replayed });
        }
        this.saveCursor(sessionId);
        return joined;
      },
      (error: unknown) => {
        // A dropped connection is not the end: the reconnect handler joins again, and we wait for that.
        if (isClientError(error, ClientErrorCodes.Disconnected) && !this.closed) {
          return new Promise<Joined>((resolve, reject) => {
            const off = this.on('joined', (joined) => {
              if (joined.sessionId !== sessionId) return;
              off();
              offClose();
              resolve(joined);
            });
            const offClose = this.on('connection', ({ state }) => {
              if (state === 'disconnected') {
                off();
                offClose();
                reject(error);
              }
            });
          });
        }
        throw error;
      },
    );
    const tracked = attempt.finally(() => {
      if (this.joinsInFlight.get(sessionId) === tracked) this.joinsInFlight.delete(sessionId);
      // A gap seen while this join was pending needs a snapshot of its own.
      if (this.resyncQueued.delete(sessionId) && this.tracker.get(sessionId)) void this.rejoin(sessionId, 'gap').catch(() => undefined);
    });
    this.joinsInFlight.set(sessionId, tracked);
    tracked.catch((error: unknown) => {
      if (!isClientError(error, ClientErrorCodes.Closed)) this.emit('error', error instanceof ClientError ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error)));
    });
    return tracked;
  }

  private handleJoined(joined: Joined): void {
    const pending = this.pendingJoins.get(joined.sessionId);
    if (!pending) return;
    pending.joined = joined;
    this.tracker.joined(joined.sessionId, joined.epoch);
    this.emit('joined', joined);
  }

  private handleFrames(batch: ReadonlyArray<EventFrame | ToolFrame>, source: FrameSource): void {
    for (const frame of batch) {
      const verdict = this.tracker.accept(frame);
      switch (verdict.kind) {
        case 'apply':
          if (source === 'replay') {
            this.stats.replayedFrames++;
            const pending = this.pendingJoins.get(frame.sessionId);
            if (pending) pending.replayed++;
          }
          this.applyEvent(frame.sessionId, frame.seq, frame.event, source);
          break;
        case 'duplicate':
          this.stats.duplicatesDropped++;
          break;
        case 'stale':
          this.stats.staleDropped++;
          break;
        case 'gap':
          this.stats.gapsDetected++;
          this.emit('gap', { sessionId: frame.sessionId, expectedSeq: verdict.expectedSeq, receivedSeq: verdict.receivedSeq, epochChanged: verdict.epochChanged });
          this.requestResync(frame.sessionId);
          // Everything after the gap in this batch is covered by the snapshot we asked for.
          return;
      }
    }
    const last = batch[batch.length - 1];
    if (last && source !== 'replay') this.saveCursor(last.sessionId);
  }

  private requestResync(sessionId: string): void {
    if (this.joinsInFlight.has(sessionId)) {
      this.resyncQueued.add(sessionId);
      this.tracker.beginJoin(sessionId);
      return;
    }
    void this.rejoin(sessionId, 'gap').catch(() => undefined);
  }

  private handleSnapshot(snapshot: Snapshot): void {
    const sessionId = snapshot.sessionId;
    const pending = this.pendingJoins.get(sessionId);
    if (!pending) return;
    this.tracker.snapshot(sessionId, snapshot.epoch, snapshot.eventCursor);
    this.conversation(sessionId).reset(snapshot);

    const at = snapshot.state.updatedAt;
    const active = snapshot.activeRun;
    if (active) {
      this.reply(sessionId, active.runId).snapshotText(active.text);
      for (const card of this.tools.applySnapshot(sessionId, active.runId, active.tools, at)) {
        this.emit('tool', { sessionId, runId: active.runId, card, change: card.closed ? 'closed' : 'updated' });
      }
    }
    // Runs we were following that are no longer active: finish them from the durable events.
    for (const reply of this.replies.values()) {
      if (reply.sessionId !== sessionId || reply.ended || reply.runId === active?.runId) continue;
      this.finishFromSnapshot(reply, snapshot);
    }
    for (const retained of snapshot.events) {
      const event = retained.event;
      if (event.type === 'tool' && event.phase !== 'start' && event.phase !== 'update') this.applyTool(sessionId, event);
    }

    this.emit('snapshot', { sessionId, snapshot });
    if (pending.hadState) {
      this.stats.resyncs++;
      const reason: ClientResyncReason = pending.reason ?? pending.joined?.reason ?? 'fresh-join';
      this.emit('resync', { sessionId, reason, snapshot });
    }
    this.saveCursor(sessionId);
  }

  private finishFromSnapshot(reply: RunReply, snapshot: Snapshot): void {
    let status: 'completed' | 'aborted' | 'failed' | undefined;
    let error: WireError | undefined;
    for (const { event } of snapshot.events) {
      if (!('runId' in event) || event.runId !== reply.runId) continue;
      if (event.type === 'stream.end') reply.streamEnd(event.streamId, event.text);
      else if (event.type === 'response') reply.response(event.text);
      else if (event.type === 'run.end') {
        status = event.status;
        error = event.error;
      }
    }
    const message = snapshot.messages.find((m) => m.runId === reply.runId && m.role === 'assistant');
    if (message) reply.response(message.text);
    if (status) {
      reply.end(status, error);
      this.closeRunTools(reply.sessionId, reply.runId, snapshot.state.updatedAt);
    } else if (message && !snapshot.state.hasActiveRun) {
      // The run.end left the retention window, but the run's answer is in the conversation.
      reply.end('completed');
      this.closeRunTools(reply.sessionId, reply.runId, snapshot.state.updatedAt);
    }
  }

  private saveCursor(sessionId: string): void {
    const store = this.options.cursorStore;
    const position = this.tracker.get(sessionId);
    if (!store || !position || position.epoch === undefined || position.phase !== 'live') return;
    void Promise.resolve(store.save(sessionId, { epoch: position.epoch, seq: position.seq })).catch(() => undefined);
  }

  // ---------------------------------------------------------------- applying events

  private applyEvent(sessionId: string, seq: number, event: SessionEvent, source: FrameSource): void {
    this.stats.framesApplied++;
    switch (event.type) {
      case 'message':
        this.conversation(sessionId).apply(event);
        break;
      case 'run.start':
        this.reply(sessionId, event.runId, true);
        break;
      case 'stream.chunk':
        this.reply(sessionId, event.runId).chunk(event.streamId, event.index, event.text);
        break;
      case 'stream.end':
        this.reply(sessionId, event.runId).streamEnd(event.streamId, event.text);
        break;
      case 'response':
        this.conversation(sessionId).apply(event);
        this.reply(sessionId, event.runId).response(event.text);
        break;
      case 'run.end':
        this.ownRuns.delete(`${sessionId}\u0000${event.runId}`);
        this.reply(sessionId, event.runId).end(event.status, event.error);
        this.closeRunTools(sessionId, event.runId, event.at);
        break;
      case 'tool':
        this.applyTool(sessionId, event);
        break;
      default:
        break;
    }
    this.emit('frame', { sessionId, seq, event, source });
  }

  private applyTool(sessionId: string, event: Extract<SessionEvent, { type: 'tool' }>): void {
    const { change, card } = this.tools.apply(sessionId, event);
    if (change !== 'ignored') this.emit('tool', { sessionId, runId: event.runId, card, change });
  }

  private closeRunTools(sessionId: string, runId: string, at: number): void {
    for (const card of this.tools.closeRun(sessionId, runId, at)) this.emit('tool', { sessionId, runId, card, change: 'closed' });
  }

  /** The reply of a run: chunks in order then its end, assembled across replays and snapshots. */
  reply(sessionId: string, runId: string, knownFromStart = false): RunReply {
    const key = `${sessionId}\u0000${runId}`;
    let reply = this.replies.get(key);
    if (!reply) {
      reply = new RunReply(sessionId, runId, knownFromStart);
      this.replies.set(key, reply);
      if (this.replies.size > MAX_KEPT_REPLIES) {
        for (const [oldKey, old] of this.replies) {
          if (this.replies.size <= MAX_KEPT_REPLIES) break;
          if (old.ended) this.replies.delete(oldKey);
        }
      }
    }
    return reply;
  }

  /**
   * A new connection is no longer run-scoped for the runs this client started, so it would get their
   * tool phases as mirrors, which a pressured gateway may thin out. Ask to be run-scoped again.
   */
  private resubscribeOwnRuns(sessionId: string): void {
    for (const [key, run] of this.ownRuns) {
      if (run.sessionId !== sessionId) continue;
      if (this.reply(run.sessionId, run.runId).ended) {
        this.ownRuns.delete(key);
        continue;
      }
      this.request('run.subscribe', { sessionId: run.sessionId, runId: run.runId }).then(
        (data) => {
          if (data.status === 'completed' || data.status === 'aborted' || data.status === 'failed') this.ownRuns.delete(key);
        },
        () => undefined,
      );
    }
  }

  // ---------------------------------------------------------------- chat

  /**
   * Send a user message. One idempotency key per message, reused when the connection drops before
   * the gateway answers, so a retry can never start a second run.
   */
  async send(sessionId: string, text: string, options: { idempotencyKey?: string } = {}): Promise<SentMessage> {
    if (typeof text !== 'string' || text.length === 0) throw new ClientError(ClientErrorCodes.InvalidArgument, 'send needs a non-empty text');
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    if (!this.tracker.get(sessionId)) await this.join(sessionId);
    const attempts = Math.max(1, this.options.sendAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await this.request('chat.send', { sessionId, text, idempotencyKey });
        const reply = this.reply(sessionId, data.runId, !data.duplicate);
        if (!reply.ended) this.ownRuns.set(`${sessionId}\u0000${data.runId}`, { sessionId, runId: data.runId });
        // A retry may have landed on a new connection that is not yet run-scoped for the run.
        if (attempt > 1) this.resubscribeOwnRuns(sessionId);
        return { ...data, idempotencyKey, reply };
      } catch (error) {
        const retriable = isClientError(error, ClientErrorCodes.Disconnected) || isClientError(error, ClientErrorCodes.Timeout);
        if (!retriable || attempt >= attempts || this.closed) throw error;
      }
    }
  }

  abort(sessionId: string, runId: string): Promise<ChatAbortData> {
    return this.request('chat.abort', { sessionId, runId });
  }
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options);
}
