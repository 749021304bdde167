import { io } from 'socket.io-client';
import {
  ErrorCodes,
  PROTOCOL_VERSION,
  ServerEvents,
  type ChatAbortData,
  type EventFrame,
  type Hello,
  type Joined,
  type RequestData,
  type RequestName,
  type RequestParams,
  type ServerEventName,
  type ServerEventPayload,
  type SessionEvent,
  type SessionRow,
  type SessionsChanged,
  type Snapshot,
  type ToolFrame,
  type WireError,
} from '@agent-gateway/schema';
import type { ClientResyncReason, ClientStats, ConnectionState, FrameSource, GatewayClientEvents, GatewayClientOptions, SentMessage } from './client-types.js';
import type { Conversation } from './conversation.js';
import type { StoredCursor } from './cursor-store.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, ClientErrorCodes, isClientError } from './errors.js';
import type { RunReply } from './reply.js';
import { Requester } from './requester.js';
import { ResumeTracker } from './resume.js';
import { SessionViews } from './session-views.js';
import { SessionsStore } from './sessions-store.js';
import type { GatewaySocket } from './socket.js';
import type { ToolCards } from './tool-cards.js';
import { resolveValidation, validateInbound } from './validation.js';

export type { GatewaySocket };
export type { ClientResyncReason, ClientStats, ConnectionState, FrameSource, GatewayClientEvents, GatewayClientOptions, SentMessage };

interface PendingJoin {
  since: number | undefined;
  /** Set when the client itself asked for the snapshot (gap). */
  reason: ClientResyncReason | undefined;
  hadState: boolean;
  replayed: number;
  joined: Joined | undefined;
}

function newIdempotencyKey(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  // randomUUID needs a secure context in browsers; plain http on a LAN address falls back.
  if (typeof cryptoApi?.randomUUID === 'function') return `send-${cryptoApi.randomUUID()}`;
  return `send-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && typeof (value as WireError).code === 'string' && typeof (value as WireError).message === 'string';
}

/** A connection that lasted this long was not a kick loop: reconnect quickly again after the next one. */
const SERVER_KICK_RESET_MS = 10_000;

export class GatewayClient extends TypedEmitter<GatewayClientEvents> {
  readonly socket: GatewaySocket;
  readonly sessions = new SessionsStore();
  readonly tools: ToolCards;
  readonly stats: ClientStats = { framesApplied: 0, duplicatesDropped: 0, staleDropped: 0, gapsDetected: 0, resyncs: 0, replayedFrames: 0, reconnects: 0 };
  hello: Hello | undefined;
  state: ConnectionState = 'connecting';

  private readonly options: GatewayClientOptions;
  private readonly validating: boolean;
  private readonly tracker = new ResumeTracker();
  private readonly pendingJoins = new Map<string, PendingJoin>();
  private readonly joinsInFlight = new Map<string, Promise<Joined>>();
  private readonly resyncQueued = new Set<string>();
  private readonly views: SessionViews;
  private readonly requester: Requester;
  /** Runs this client started and that have not ended: it asks to stay run-scoped for them after a reconnect. */
  private readonly ownRuns = new Map<string, { sessionId: string; runId: string }>();
  /** Existence checks of runs asked for by `reply` that the client held nothing about. */
  private readonly runChecks = new Map<RunReply, Promise<void>>();
  private closed = false;
  /** Set once the app lists sessions: the list is then refreshed after every reconnect. */
  private sessionsListLimit: number | 'default' | undefined;
  private everConnected = false;
  private serverKickTimer: ReturnType<typeof setTimeout> | undefined;
  private serverKicks = 0;
  private connectedAt = 0;

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
    this.views = new SessionViews((change) => this.emit('tool', change));
    this.tools = this.views.tools;
    this.requester = new Requester(this.socket, {
      timeoutMs: options.requestTimeoutMs ?? 10_000,
      validating: this.validating,
      onInvalid: (error) => this.emit('error', error),
      isClosed: () => this.closed,
    });
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
      this.connectedAt = Date.now();
      this.everConnected = true;
      this.setState('connected');
      // Rejoin every session we follow, resuming from the cursor we hold.
      for (const sessionId of this.tracker.sessionIds()) {
        const rejoined = this.rejoin(sessionId, undefined);
        if (this.stats.reconnects > 0)
          void rejoined.then(
            () => this.resubscribeOwnRuns(sessionId),
            () => undefined,
          );
      }
      // sessions.changed broadcasts sent while we were away are lost: list again if the app follows the list.
      if (this.stats.reconnects > 0 && this.sessionsListLimit !== undefined) {
        this.listSessions(this.sessionsListLimit === 'default' ? undefined : this.sessionsListLimit).catch((error: unknown) => {
          if (error instanceof ClientError && error.code !== ClientErrorCodes.Closed) this.emit('error', error);
        });
      }
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.setState('reconnecting', reason);
      // Socket.IO does not reconnect by itself after a server-side disconnect; a gateway restarting
      // or shedding load is exactly when a client must come back and resume.
      if (reason === 'io server disconnect') {
        // Back off when the gateway keeps sending us away right after connecting; a connection that
        // lived a while starts the count again.
        if (Date.now() - this.connectedAt > SERVER_KICK_RESET_MS) this.serverKicks = 0;
        const base = this.options.socketOptions?.reconnectionDelay ?? 200;
        const max = this.options.socketOptions?.reconnectionDelayMax ?? 2000;
        const delay = Math.min(max, base * 2 ** this.serverKicks);
        this.serverKicks++;
        this.serverKickTimer = setTimeout(() => {
          this.serverKickTimer = undefined;
          if (!this.closed) socket.connect();
        }, delay);
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
      const error = new ClientError(ClientErrorCodes.RequestFailed, `Gateway reported a protocol error: ${payload.error.message}`, {
        wireError: payload.error,
      });
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
    this.views.failAll(closedError);
    this.setState('disconnected', 'closed by the application');
    this.removeAllListeners();
  }

  // ---------------------------------------------------------------- requests

  /**
   * Send one request and wait for its acknowledgement. Waits for a connection first; fails with
   * DISCONNECTED when the connection drops before the answer (the gateway may or may not have acted).
   */
  request<E extends RequestName>(name: E, params: RequestParams<E>, options: { timeoutMs?: number } = {}): Promise<RequestData<E>> {
    return this.requester.request(name, params, options);
  }

  // ---------------------------------------------------------------- sessions

  /** List sessions into `client.sessions`; after this the client lists again on every reconnect. */
  async listSessions(limit?: number): Promise<SessionRow[]> {
    this.sessionsListLimit = limit ?? 'default';
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
    this.views.forgetSession(sessionId);
    for (const [key, run] of this.ownRuns) if (run.sessionId === sessionId) this.ownRuns.delete(key);
    if (this.socket.connected) await this.request('leave', { sessionId });
  }

  /** Where the client stands in a session's log. */
  position(sessionId: string): StoredCursor | undefined {
    const position = this.tracker.get(sessionId);
    return position?.epoch === undefined ? undefined : { epoch: position.epoch, seq: position.seq };
  }

  conversation(sessionId: string): Conversation {
    return this.views.conversation(sessionId);
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
      if (!isClientError(error, ClientErrorCodes.Closed))
        this.emit('error', error instanceof ClientError ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error)));
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
          this.emit('gap', {
            sessionId: frame.sessionId,
            expectedSeq: verdict.expectedSeq,
            receivedSeq: verdict.receivedSeq,
            epochChanged: verdict.epochChanged,
          });
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
    this.views.applySnapshot(snapshot);

    this.emit('snapshot', { sessionId, snapshot });
    if (pending.hadState) {
      this.stats.resyncs++;
      const reason: ClientResyncReason = pending.reason ?? pending.joined?.reason ?? 'fresh-join';
      this.emit('resync', { sessionId, reason, snapshot });
    }
    this.saveCursor(sessionId);
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
    if (event.type === 'run.end') this.ownRuns.delete(`${sessionId}\u0000${event.runId}`);
    this.views.applyEvent(sessionId, event);
    this.emit('frame', { sessionId, seq, event, source });
  }

  /**
   * The reply of a run: chunks in order then its end, assembled across replays and snapshots.
   *
   * A run that ended before the client followed the session finishes from what the client holds
   * (the snapshot's conversation and retained events, or the frames it applied). A run the client
   * holds nothing about is checked once the session is joined: the client first makes sure it has
   * every frame the gateway sent before the question (one request round trip: acknowledgements keep
   * their place among frames), then
   * - if the session view came from a snapshot (the whole conversation and every retained event),
   *   a run still absent does not exist in the session: the reply fails with `UNKNOWN_RUN`;
   * - if the view was resumed from a stored cursor (history before it not held here), or the
   *   snapshot left the run open (queued, or its end evicted), the client asks the gateway with
   *   `run.subscribe`: `RUN_NOT_FOUND` fails the reply with `UNKNOWN_RUN`, a finished status ends it
   *   (with the answer from the conversation when there is one), an active one keeps it waiting.
   * A reply for a session the client does not follow fails with `INVALID_ARGUMENT`.
   */
  reply(sessionId: string, runId: string, knownFromStart = false): RunReply {
    const knowledge = this.views.runKnowledge(sessionId, runId);
    const reply = this.views.replyAskedFor(sessionId, runId, knownFromStart);
    if (knowledge !== 'known' && !knownFromStart && !reply.ended) {
      const check = this.runChecks.get(reply);
      if (!check) {
        const started = this.checkRun(sessionId, runId, reply).finally(() => this.runChecks.delete(reply));
        this.runChecks.set(reply, started);
      }
    }
    return reply;
  }

  /** Decide whether a run the client holds nothing about exists (rule documented on `reply`). */
  private async checkRun(sessionId: string, runId: string, reply: RunReply): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed || reply.ended) return;
      if (!this.tracker.get(sessionId)) {
        this.failReply(
          reply,
          new ClientError(ClientErrorCodes.InvalidArgument, `reply(${sessionId}, ${runId}): the client does not follow session ${sessionId}; join it first`),
        );
        return;
      }
      try {
        // Apply the join's snapshot or replay first: it may hold the run.
        while (this.joinsInFlight.has(sessionId)) await this.joinsInFlight.get(sessionId);
        let knowledge = this.views.runKnowledge(sessionId, runId);
        if (knowledge === 'unknown' && this.views.sessionCoverage(sessionId) === 'complete') {
          // Frames appended before this request are delivered before its acknowledgement.
          await this.request('sessions.list', { limit: 1 });
          if (this.joinsInFlight.has(sessionId)) continue;
          knowledge = this.views.runKnowledge(sessionId, runId);
          if (knowledge === 'unknown' && this.views.sessionCoverage(sessionId) === 'complete') {
            this.failReply(reply, this.unknownRun(sessionId, runId));
            return;
          }
        }
        if (knowledge === 'known' || reply.ended) return;
        const data = await this.request('run.subscribe', { sessionId, runId });
        this.views.confirmRun(sessionId, runId, data.status);
        return;
      } catch (error) {
        if (isClientError(error, ClientErrorCodes.RequestFailed) && error.wireError?.code === ErrorCodes.RunNotFound) {
          this.failReply(reply, this.unknownRun(sessionId, runId));
          return;
        }
        if (this.closed || isClientError(error, ClientErrorCodes.Closed)) return;
        const retriable = isClientError(error, ClientErrorCodes.Disconnected) || isClientError(error, ClientErrorCodes.Timeout);
        if (!retriable || attempt >= 5) {
          this.failReply(reply, error instanceof Error ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error)));
          return;
        }
      }
    }
  }

  /** Fail the readers of a reply that cannot come, and forget it so a later `reply()` asks again. */
  private failReply(reply: RunReply, error: Error): void {
    reply.fail(error);
    this.views.dropReply(reply);
  }

  private unknownRun(sessionId: string, runId: string): ClientError {
    return new ClientError(
      ClientErrorCodes.UnknownRun,
      `Run ${runId} is not part of session ${sessionId}: it is neither active, queued nor in the session history the gateway still has`,
      { event: 'reply' },
    );
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
        if (data.duplicate && !reply.ended && (data.status === 'completed' || data.status === 'aborted' || data.status === 'failed')) {
          // A repeat of a message whose run finished before this client followed the session (a
          // reload re-sending with the same key): no frames of it will come, finish it from what we have.
          const answer = this.conversation(sessionId)
            .list()
            .find((message) => message.runId === data.runId && message.role === 'assistant');
          if (answer) reply.response(answer.text);
          reply.end(data.status);
        }
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
