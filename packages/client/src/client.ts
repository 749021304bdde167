import { io } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  ServerEvents,
  type ChatAbortData,
  type Hello,
  type Joined,
  type RequestData,
  type RequestName,
  type RequestParams,
  type ServerEventName,
  type ServerEventPayload,
  type SessionRow,
} from '@agent-gateway/schema';
import { newClientStats } from './client-types.js';
import type { ClientResyncReason, ClientStats, ConnectionState, FrameSource, GatewayClientEvents, GatewayClientOptions, SentMessage } from './client-types.js';
import { Conversation } from './conversation.js';
import type { StoredCursor } from './cursor-store.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, ClientErrorCodes, isClientError, isWireError } from './errors.js';
import { GatewayInstance } from './gateway-instance.js';
import type { FrameEventName } from './inbound-frames.js';
import { routeFrames, routeSnapshot } from './inbound-router.js';
import { RunReply } from './reply.js';
import { Requester } from './requester.js';
import { ServerDisconnects } from './server-disconnect.js';
import { SessionList } from './session-list.js';
import { SessionSubscription, type SubscriptionHost } from './session-subscription.js';
import type { SessionsStore } from './sessions-store.js';
import type { GatewaySocket } from './socket.js';
import type { ToolCardLookup } from './tool-cards.js';
import { resolveValidation, validateInbound } from './validation.js';

export type { GatewaySocket };
export type { ClientResyncReason, ClientStats, ConnectionState, FrameSource, GatewayClientEvents, GatewayClientOptions, SentMessage };

function newIdempotencyKey(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  // randomUUID needs a secure context in browsers; plain http on a LAN address falls back.
  if (typeof cryptoApi?.randomUUID === 'function') return `send-${cryptoApi.randomUUID()}`;
  return `send-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

/**
 * A connection to a gateway. It owns the socket, the request plumbing and the session list, and
 * routes every inbound session message to the `SessionSubscription` of that session, which holds
 * the cursor, the join state machine and the view.
 */
export class GatewayClient extends TypedEmitter<GatewayClientEvents> {
  readonly socket: GatewaySocket;
  /** Session rows, kept up to date once the app called `listSessions()` (and from broadcasts). */
  readonly sessions: SessionsStore;
  /** Tool cards of the followed sessions, by session and run. */
  readonly tools: ToolCardLookup;
  readonly stats: ClientStats = newClientStats();
  hello: Hello | undefined;
  state: ConnectionState = 'connecting';

  private readonly options: GatewayClientOptions;
  private readonly validating: boolean;
  private readonly requester: Requester;
  private readonly subscriptions = new Map<string, SessionSubscription>();
  private readonly subscriptionHost: SubscriptionHost;
  private readonly instance = new GatewayInstance();
  private readonly serverDisconnects: ServerDisconnects;
  private readonly sessionList: SessionList;
  private closed = false;
  private everConnected = false;

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
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.requester = new Requester(this.socket, {
      timeoutMs,
      validating: this.validating,
      onInvalid: (error) => this.emit('error', error),
      isClosed: () => this.closed,
    });
    this.serverDisconnects = new ServerDisconnects({
      baseDelayMs: options.socketOptions?.reconnectionDelay ?? 200,
      maxDelayMs: options.socketOptions?.reconnectionDelayMax ?? 2000,
      reconnect: () => {
        if (!this.closed) this.socket.connect();
      },
    });
    this.subscriptionHost = {
      request: (name, params) => this.request(name, params),
      emit: (event, payload) => this.emit(event, payload),
      stats: this.stats,
      cursorStore: options.cursorStore,
      snapshotTimeoutMs: timeoutMs,
      isConnected: () => this.socket.connected,
      isClosed: () => this.closed,
    };
    this.sessionList = new SessionList({
      list: (params) => this.request('sessions.list', params),
      subscribe: async () => {
        // A connection that speaks 1.0 follows the whole list unasked (1.0 has no sessions.subscribe).
        const version = this.hello?.protocolVersion ?? this.options.protocolVersion ?? PROTOCOL_VERSION;
        if (version !== '1.0') await this.request('sessions.subscribe', { enabled: true });
      },
      emit: (payload) => this.emit('sessions', payload),
    });
    this.sessions = this.sessionList.rows;
    this.tools = {
      cards: (sessionId, runId) => this.subscriptions.get(sessionId)?.view.tools.cards(sessionId, runId) ?? [],
      get: (sessionId, runId, toolCallId) => this.subscriptions.get(sessionId)?.view.tools.get(sessionId, runId, toolCallId),
    };
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
    if (state === 'disconnected' && error) for (const subscription of this.subscriptions.values()) subscription.connectionLost(error);
  }

  private wire(): void {
    const socket = this.socket;
    socket.on('connect', () => {
      const isReconnect = this.everConnected;
      if (isReconnect) this.stats.reconnects++;
      this.everConnected = true;
      this.serverDisconnects.connected();
      this.setState('connected');
      // Rejoin every session we follow, resuming from the cursor each holds.
      for (const subscription of this.subscriptions.values()) subscription.reconnected(isReconnect);
      // sessions.changed broadcasts sent while we were away are lost: list again if the app follows the list.
      if (isReconnect) this.refreshSessionList();
    });
    socket.on('disconnect', (socketReason) => {
      if (this.closed) return;
      this.sessionList.connectionLost();
      const { reason, error } = this.serverDisconnects.disconnected(socketReason);
      this.setState('reconnecting', reason, error);
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

    this.onInbound('hello', (hello) => this.handleHello(hello));
    this.onInbound('joined', (joined) => this.subscriptions.get(joined.sessionId)?.onJoined(joined));
    const routes = {
      subscriptions: this.subscriptions,
      stats: this.stats,
      validating: this.validating,
      reportError: (error: ClientError) => this.emit('error', error),
    };
    const sources: Record<FrameEventName, FrameSource> = { replay: 'replay', 'session.event': 'live', 'session.tool': 'mirror' };
    for (const [event, source] of Object.entries(sources) as Array<[FrameEventName, FrameSource]>) {
      this.listen(event, (payload) => routeFrames(routes, event, source, payload));
    }
    this.listen('snapshot', (payload) => routeSnapshot(routes, payload));
    this.onInbound('sessions.changed', (changed) => this.sessionList.changed(changed));
    // Creations were coalesced: list again.
    this.onInbound('sessions.resync', () => this.refreshSessionList());
    this.onInbound('protocol.error', (payload) => {
      // A stated disconnect is reported with the disconnect that follows it, not as an error.
      if (this.serverDisconnects.announce(payload.error)) return;
      this.emit(
        'error',
        new ClientError(ClientErrorCodes.RequestFailed, `Gateway reported a protocol error: ${payload.error.message}`, { wireError: payload.error }),
      );
    });
  }

  /** List again if the app follows the list; a failure other than closing is reported as an error event. */
  private refreshSessionList(): void {
    this.sessionList.refresh().catch((error: unknown) => {
      if (error instanceof ClientError && error.code !== ClientErrorCodes.Closed) this.emit('error', error);
    });
  }

  private listen(event: ServerEventName, listener: (payload: unknown) => void): void {
    (this.socket as unknown as { on(event: string, listener: (payload: unknown) => void): void }).on(event, listener);
  }

  /** Subscribe to a server event through the validator: an invalid message is reported and dropped. */
  private onInbound<E extends ServerEventName>(event: E, handler: (payload: ServerEventPayload<E>) => void): void {
    this.listen(event, (payload) => {
      if (this.validating) {
        const checked = validateInbound(`server event "${event}"`, ServerEvents[event].payload, payload);
        if (!checked.ok) {
          this.emit('error', checked.error);
          return;
        }
      }
      handler(payload as ServerEventPayload<E>);
    });
  }

  /**
   * A greeting after a reconnect may come from another gateway state. With another instanceId,
   * every run, reply and tool card of the old one is closed (`gateway-restarted`) and its rows are
   * dropped. Without an instanceId on either side the client cannot tell: rows become replaceable by
   * whatever the gateway sends next, and runs follow the epoch rule of each session.
   */
  private handleHello(hello: Hello): void {
    const { change, previous, next } = this.instance.observe(hello);
    this.hello = hello;
    if (change === 'changed') {
      for (const subscription of this.subscriptions.values()) {
        subscription.interrupt('gateway-restarted', `the gateway now serves another state (instance ${previous} is now ${next})`);
      }
    }
    this.sessionList.greeted(change);
    this.emit('hello', hello);
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
    this.serverDisconnects.cancel();
    this.socket.disconnect();
    const closedError = new ClientError(ClientErrorCodes.Closed, 'The client was closed before the run ended');
    for (const subscription of this.subscriptions.values()) subscription.close(closedError);
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
  listSessions(limit?: number): Promise<SessionRow[]> {
    return this.sessionList.list(limit);
  }

  // ---------------------------------------------------------------- join and resume

  /**
   * Follow a session: join it (resuming from a stored cursor when there is one) and keep it joined
   * across reconnects. Resolves with the gateway's `joined` answer once replay or snapshot is applied.
   */
  join(sessionId: string): Promise<Joined> {
    const existing = this.subscriptions.get(sessionId);
    if (existing) return existing.join();
    const subscription = new SessionSubscription(sessionId, this.subscriptionHost);
    this.subscriptions.set(sessionId, subscription);
    const store = this.options.cursorStore;
    return subscription.join(store ? () => Promise.resolve(store.load(sessionId)) : undefined);
  }

  /** Stop following a session; replies still waiting there reject with RUN_INTERRUPTED (`session-left`). */
  async leave(sessionId: string): Promise<void> {
    this.subscriptions.get(sessionId)?.leave();
    this.subscriptions.delete(sessionId);
    if (this.socket.connected) await this.request('leave', { sessionId });
  }

  /** Where the client stands in a session's log. */
  position(sessionId: string): StoredCursor | undefined {
    const cursor = this.subscriptions.get(sessionId)?.cursor;
    return cursor?.epoch === undefined ? undefined : { epoch: cursor.epoch, seq: cursor.seq };
  }

  /** The conversation of a followed session (an empty one for a session the client does not follow). */
  conversation(sessionId: string): Conversation {
    return this.subscriptions.get(sessionId)?.view.conversation ?? new Conversation();
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
   * A reply for a session the client does not follow fails with `INVALID_ARGUMENT`. A reply whose
   * run was lost with the gateway's state (restart) rejects with `RUN_INTERRUPTED`, reason
   * `gateway-restarted`.
   */
  reply(sessionId: string, runId: string, knownFromStart = false): RunReply {
    const subscription = this.subscriptions.get(sessionId);
    if (subscription) return subscription.reply(runId, knownFromStart);
    const reply = new RunReply(sessionId, runId, knownFromStart);
    reply.fail(
      new ClientError(ClientErrorCodes.InvalidArgument, `reply(${sessionId}, ${runId}): the client does not follow session ${sessionId}; join it first`),
    );
    return reply;
  }

  // ---------------------------------------------------------------- chat

  /**
   * Send a user message. One idempotency key per message, reused when the connection drops before
   * the gateway answers, so a retry can never start a second run.
   */
  async send(sessionId: string, text: string, options: { idempotencyKey?: string } = {}): Promise<SentMessage> {
    if (typeof text !== 'string' || text.length === 0) throw new ClientError(ClientErrorCodes.InvalidArgument, 'send needs a non-empty text');
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    if (!this.subscriptions.has(sessionId)) await this.join(sessionId);
    const attempts = Math.max(1, this.options.sendAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await this.request('chat.send', { sessionId, text, idempotencyKey });
        const subscription = this.subscriptions.get(sessionId);
        // A repeat (duplicate: true) may name a run whose frames are still on their way, or one that
        // finished before this client followed the session: reply() settles it from the frames, or
        // from the view once everything sent before a round trip is applied — never early.
        const reply = this.reply(sessionId, data.runId, !data.duplicate);
        if (subscription && !reply.ended) {
          subscription.trackOwnRun(data.runId);
          // A retry may have landed on a new connection that is not yet run-scoped for the run.
          if (attempt > 1) subscription.resubscribeOwnRuns();
        }
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
