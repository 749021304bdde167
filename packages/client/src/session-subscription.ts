import type { EventFrame, Joined, RequestData, RequestName, RequestParams, Snapshot, ToolFrame } from '@agent-gateway/schema';
import type { ClientResyncReason, ClientStats, FrameSource, GatewayClientEvents } from './client-types.js';
import type { CursorStore, StoredCursor } from './cursor-store.js';
import { ClientError, ClientErrorCodes, isClientError, type InterruptReason } from './errors.js';
import { newJoinAttempt, snapshotOf, snapshotSettled, type JoinAttempt } from './join-attempt.js';
import { OwnRuns } from './own-runs.js';
import type { RunReply } from './reply.js';
import { settleRun } from './run-lookup.js';
import { SessionCursor } from './session-cursor.js';
import { SessionView } from './session-view.js';

/** What a subscription needs from the client that routes to it. */
export interface SubscriptionHost {
  request<E extends RequestName>(name: E, params: RequestParams<E>): Promise<RequestData<E>>;
  emit<K extends keyof GatewayClientEvents>(event: K, payload: GatewayClientEvents[K]): void;
  readonly stats: ClientStats;
  readonly cursorStore: CursorStore | undefined;
  /** How long a join that asked for a resync waits for its snapshot after the answer. */
  readonly snapshotTimeoutMs: number;
  isConnected(): boolean;
  isClosed(): boolean;
}

/**
 * - `joining`: a join is on its way (or waits for the connection to come back); frames are held off.
 * - `live`: joined; frames continue the cursor.
 * - `failed`: the last join was refused or its answer unusable; the next reconnect or `join()` retries.
 * - `left`: the application stopped following the session (or closed the client).
 */
export type SubscriptionState = 'joining' | 'live' | 'failed' | 'left';

interface Waiter {
  resolve(joined: Joined): void;
  reject(error: Error): void;
}

/**
 * Everything the client holds about one followed session: its cursor (epoch, seq), the join /
 * rejoin / resync state machine, the runs this client started there, and its view (conversation,
 * replies, tool cards). The client only routes inbound messages to it by sessionId.
 */
export class SessionSubscription {
  readonly sessionId: string;
  readonly cursor: SessionCursor;
  readonly view: SessionView;
  state: SubscriptionState = 'joining';
  private readonly host: SubscriptionHost;
  private attempt: JoinAttempt | undefined;
  /** A join failed because the connection dropped: the reconnect joins again. */
  private awaitingReconnect = false;
  /** A gap was seen while a join was on its way: resync once it is answered. */
  private resyncQueued = false;
  private lastJoined: Joined | undefined;
  private lastError: Error | undefined;
  private waiters: Waiter[] = [];
  private readonly ownRuns: OwnRuns;
  /** Existence checks of runs asked for by `reply` that the client held nothing about. */
  private readonly runChecks = new Map<RunReply, Promise<void>>();

  constructor(sessionId: string, host: SubscriptionHost) {
    this.sessionId = sessionId;
    this.host = host;
    this.cursor = new SessionCursor(sessionId);
    this.view = new SessionView(sessionId, (change) => host.emit('tool', change));
    this.ownRuns = new OwnRuns({
      sessionId,
      subscribe: (params) => host.request('run.subscribe', params),
      isOver: (runId) => {
        const reply = this.view.reply(runId);
        return reply.ended !== undefined || reply.failed !== undefined;
      },
      reportError: (error) => host.emit('error', error),
    });
  }

  // ---------------------------------------------------------------- join state machine

  /** The application's join: resolves with the gateway's answer once its replay or snapshot is applied. */
  join(loadCursor?: () => Promise<StoredCursor | undefined>): Promise<Joined> {
    if (this.state === 'live' && this.lastJoined) return Promise.resolve(this.lastJoined);
    const joined = this.nextJoined();
    if (!this.attempt && !this.awaitingReconnect) this.start(undefined, { loadCursor });
    return joined;
  }

  /** Resolves once no join is on its way; rejects when the last one failed. */
  settled(): Promise<unknown> {
    if (this.state === 'live') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(this.lastError ?? new ClientError(ClientErrorCodes.RequestFailed, `Joining ${this.sessionId} failed`));
    if (this.state === 'left') return Promise.reject(this.notFollowed());
    return this.nextJoined();
  }

  get joining(): boolean {
    return this.state === 'joining';
  }

  /** The connection is (back) up: join again from the cursor. */
  reconnected(isReconnect: boolean): void {
    if (this.state === 'left') return;
    // A join sent while disconnected goes out on this connection by itself.
    if (this.attempt?.startedDisconnected) {
      this.attempt.afterReconnect = isReconnect;
      return;
    }
    this.start(undefined, { afterReconnect: isReconnect });
  }

  /** The client gave up on the connection (refused, or closed): joins waiting for it fail. */
  connectionLost(error: Error): void {
    this.rejectWaiters(error);
  }

  private nextJoined(): Promise<Joined> {
    return new Promise<Joined>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Send a join: from the cursor, or (with a `reason`) for a snapshot. */
  private start(
    reason: ClientResyncReason | undefined,
    options: { loadCursor?: () => Promise<StoredCursor | undefined>; afterReconnect?: boolean } = {},
  ): void {
    const attempt = newJoinAttempt({
      reason,
      startedDisconnected: !this.host.isConnected(),
      afterReconnect: options.afterReconnect ?? false,
      hadState: this.cursor.epoch !== undefined,
    });
    this.attempt = attempt;
    this.state = 'joining';
    this.awaitingReconnect = false;
    this.resyncQueued = false;
    this.cursor.beginJoin();
    void this.run(attempt, options.loadCursor);
  }

  private async run(attempt: JoinAttempt, loadCursor: (() => Promise<StoredCursor | undefined>) | undefined): Promise<void> {
    let joined: Joined;
    try {
      if (loadCursor) {
        const stored = await loadCursor();
        if (this.attempt !== attempt) return;
        if (stored && this.cursor.epoch === undefined) this.cursor.beginJoin(stored);
      }
      const params: RequestParams<'join'> = { sessionId: this.sessionId };
      if (attempt.reason === undefined && this.cursor.epoch !== undefined) {
        params.since = this.cursor.seq;
        params.epoch = this.cursor.epoch;
      }
      attempt.since = params.since;
      joined = await this.host.request('join', params);
      if (this.attempt !== attempt) return;
      // Some gateways may answer only through the acknowledgement.
      if (!attempt.joined) this.onJoined(joined);
      if (joined.resyncRequired) await snapshotOf(attempt, this.sessionId, this.host.snapshotTimeoutMs);
    } catch (error) {
      if (this.attempt === attempt) this.fail(error);
      return;
    }
    if (this.attempt === attempt) this.succeed(attempt, joined);
  }

  private succeed(attempt: JoinAttempt, joined: Joined): void {
    this.attempt = undefined;
    this.state = 'live';
    this.lastJoined = joined;
    this.lastError = undefined;
    if (!joined.resyncRequired && attempt.since !== undefined && attempt.hadState) {
      this.host.emit('resumed', { sessionId: this.sessionId, since: attempt.since, cursor: joined.cursor, replayed: attempt.replayed });
    }
    this.saveCursor();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(joined);
    if (attempt.afterReconnect) this.ownRuns.resubscribe();
    // A gap seen while this join was on its way needs a snapshot of its own.
    if (this.resyncQueued) this.start('gap');
  }

  private fail(error: unknown): void {
    this.attempt = undefined;
    // A dropped connection is not the end: the reconnect joins again, and the waiters wait for that.
    if (isClientError(error, ClientErrorCodes.Disconnected) && !this.host.isClosed()) {
      this.awaitingReconnect = true;
      return;
    }
    const failure = error instanceof ClientError ? error : new ClientError(ClientErrorCodes.RequestFailed, String(error), { cause: error });
    this.state = 'failed';
    this.lastError = failure;
    this.resyncQueued = false;
    this.rejectWaiters(failure);
    if (!isClientError(failure, ClientErrorCodes.Closed)) this.host.emit('error', failure);
  }

  onJoined(joined: Joined): void {
    const attempt = this.attempt;
    if (!attempt || attempt.joined) return;
    attempt.joined = joined;
    // A replay continues from the cursor; a resync waits for the snapshot to set it.
    if (!joined.resyncRequired) this.cursor.joined(joined.epoch);
    this.host.emit('joined', joined);
  }

  onSnapshot(snapshot: Snapshot): void {
    if (this.state === 'left') return;
    const attempt = this.attempt;
    const hadState = attempt ? attempt.hadState : this.cursor.epoch !== undefined;
    const previousEpoch = this.cursor.epoch;
    if (hadState && previousEpoch !== undefined && previousEpoch !== snapshot.epoch) {
      // Runs of the old epoch can never end in the new one: say so rather than leave them waiting.
      this.interrupt('gateway-restarted', `its log was recreated (epoch ${previousEpoch} is now ${snapshot.epoch}), as when an in-memory gateway restarts`);
    }
    this.cursor.snapshot(snapshot.epoch, snapshot.eventCursor);
    this.view.applySnapshot(snapshot);
    if (attempt) snapshotSettled(attempt, { applied: true });
    this.host.emit('snapshot', { sessionId: this.sessionId, snapshot });
    if (hadState) {
      this.host.stats.resyncs++;
      const reason: ClientResyncReason = attempt?.reason ?? attempt?.joined?.reason ?? 'fresh-join';
      this.host.emit('resync', { sessionId: this.sessionId, reason, snapshot });
    }
    this.saveCursor();
  }

  /**
   * A snapshot failed validation. The view is not rebuilt from it: the join it answers fails with a
   * clear error instead (an empty view would look fine and be wrong). `attributed` is false when the
   * snapshot did not even say which session it was for: only a join still waiting for its snapshot
   * takes it as its own.
   */
  snapshotRejected(invalid: ClientError, attributed = true): void {
    const error = new ClientError(
      ClientErrorCodes.InvalidFrame,
      `The gateway's snapshot of session ${this.sessionId} failed validation, so the session view was not rebuilt: ${invalid.message}`,
      { issues: invalid.issues ?? [], event: 'snapshot' },
    );
    const attempt = this.attempt;
    if (attempt && !attempt.snapshotApplied) {
      snapshotSettled(attempt, { error });
    } else if (attributed) {
      this.host.emit('error', error);
    }
  }

  // ---------------------------------------------------------------- frames

  acceptFrame(frame: EventFrame | ToolFrame, source: FrameSource): void {
    if (this.state === 'left') return;
    const stats = this.host.stats;
    const verdict = this.cursor.accept(frame);
    switch (verdict.kind) {
      case 'apply':
        if (source === 'replay') {
          stats.replayedFrames++;
          if (this.attempt) this.attempt.replayed++;
        }
        stats.framesApplied++;
        if (frame.event.type === 'run.end') this.ownRuns.ended(frame.event.runId);
        this.view.applyEvent(frame.event);
        this.host.emit('frame', { sessionId: this.sessionId, seq: frame.seq, event: frame.event, source });
        break;
      case 'duplicate':
        stats.duplicatesDropped++;
        break;
      case 'stale':
        stats.staleDropped++;
        break;
      case 'gap':
        stats.gapsDetected++;
        this.host.emit('gap', {
          sessionId: this.sessionId,
          expectedSeq: verdict.expectedSeq,
          receivedSeq: verdict.receivedSeq,
          epochChanged: verdict.epochChanged,
          invalidFrame: false,
        });
        this.requestResync();
        break;
    }
  }

  /**
   * A frame of this session (or of an unknown one) failed validation. What it carried is lost to the
   * client, exactly as if it had never arrived: a gap at its seq, repaired by a resync. Nothing in
   * it is trusted, not even a seq that looks like a repeat.
   */
  invalidFrame(where: { seq?: unknown }): void {
    // While joining, the join's replay or snapshot covers whatever the frame was.
    if (this.state === 'left' || this.cursor.phase === 'joining') return;
    const expectedSeq = this.cursor.seq + 1;
    const seq = typeof where.seq === 'number' && Number.isSafeInteger(where.seq) && where.seq > 0 ? where.seq : expectedSeq;
    this.host.stats.gapsDetected++;
    this.host.emit('gap', { sessionId: this.sessionId, expectedSeq, receivedSeq: seq, epochChanged: false, invalidFrame: true });
    this.requestResync();
  }

  private requestResync(): void {
    this.cursor.beginJoin();
    if (this.attempt) this.resyncQueued = true;
    else if (!this.awaitingReconnect) this.start('gap');
  }

  saveCursor(): void {
    const store = this.host.cursorStore;
    const { epoch, seq, phase } = this.cursor;
    if (!store || epoch === undefined || phase !== 'live') return;
    void Promise.resolve(store.save(this.sessionId, { epoch, seq })).catch(() => undefined);
  }

  // ---------------------------------------------------------------- runs and replies

  /** The reply of a run (rules on `GatewayClient.reply`). */
  reply(runId: string, knownFromStart: boolean): RunReply {
    const knowledge = this.view.runKnowledge(runId);
    const reply = this.view.replyAskedFor(runId, knownFromStart);
    if (knowledge !== 'known' && !knownFromStart && !reply.ended && !this.runChecks.has(reply)) {
      const check = settleRun(this, runId, reply).finally(() => this.runChecks.delete(reply));
      this.runChecks.set(reply, check);
    }
    return reply;
  }

  request<E extends RequestName>(name: E, params: RequestParams<E>): Promise<RequestData<E>> {
    return this.host.request(name, params);
  }

  isClosed(): boolean {
    return this.host.isClosed();
  }

  /** Fail the readers of a reply that cannot come, and forget it so a later `reply()` asks again. */
  failReply(reply: RunReply, error: Error): void {
    reply.fail(error);
    this.view.dropReply(reply);
  }

  notFollowed(runId?: string): ClientError {
    const what = runId === undefined ? '' : `reply(${this.sessionId}, ${runId}): `;
    return new ClientError(ClientErrorCodes.InvalidArgument, `${what}the client does not follow session ${this.sessionId}; join it first`);
  }

  /** A run this client started: it stays run-scoped for it across reconnects until it ends. */
  trackOwnRun(runId: string): void {
    this.ownRuns.add(runId);
  }

  /** Ask to be run-scoped again for the runs this client started (a retried send may land on a new connection). */
  resubscribeOwnRuns(): void {
    this.ownRuns.resubscribe();
  }

  /**
   * The state this session's runs belonged to is gone. Every reply still waiting rejects with
   * RUN_INTERRUPTED and `reason`, every open tool card closes as interrupted, and the `interrupted`
   * event names the runs stopped.
   */
  interrupt(reason: InterruptReason, why: string): void {
    const error = new ClientError(
      ClientErrorCodes.RunInterrupted,
      `Session ${this.sessionId}: ${why}; a run of the state before can no longer end here and its outcome is unknown`,
      { reason, event: 'reply' },
    );
    const runIds = this.view.interrupt(error, reason, Date.now());
    this.ownRuns.clear();
    if (runIds.length === 0) return;
    this.host.stats.runsInterrupted += runIds.length;
    this.host.emit('interrupted', { sessionId: this.sessionId, runIds, reason, error });
  }

  // ---------------------------------------------------------------- end

  /** The application stopped following the session: waiting readers are told, nothing else arrives. */
  leave(): void {
    if (this.state === 'left') return;
    this.interrupt('session-left', 'the client stopped following it');
    this.end(new ClientError(ClientErrorCodes.Closed, `The client left session ${this.sessionId} before the join was answered`));
  }

  /** The client is closing: every reader still waiting fails with `error`. */
  close(error: ClientError): void {
    if (this.state === 'left') return;
    this.view.failAll(error);
    this.end(error);
  }

  private end(error: ClientError): void {
    this.state = 'left';
    this.attempt = undefined;
    this.awaitingReconnect = false;
    this.rejectWaiters(error);
  }
}
