import { randomUUID } from 'node:crypto';
import type { HeartbeatCounters, HeartbeatSkipReason } from '@agent-gateway/schema';

/** The part of a session lane the heartbeat runner needs; the gateway's lanes implement it. */
export interface HeartbeatLane {
  /** A turn is running or waiting in the session's lane. */
  isBusy(sessionId: string): boolean;
  /**
   * Run `work` as a turn of the session's lane and resolve when the turn is over. The lane assigns
   * the run id (heartbeat turns are runs with trigger `heartbeat`).
   */
  runHeartbeatTurn(sessionId: string, work: (runId: string) => Promise<void> | void): Promise<void>;
  /** Abort whatever the lane is running (only a rule that decides `interrupt` asks for it). */
  abortActive?(sessionId: string): void;
}

/** What a heartbeat rule sees when a heartbeat is due. */
export interface HeartbeatSituation {
  /** The session's lane is running or has queued a turn (or its previous heartbeat still runs). */
  laneBusy: boolean;
  /** Heartbeat turns running over the whole gateway, and the bound on them. */
  inFlight: number;
  maxInFlight: number;
}

export type HeartbeatDecision = { action: 'run' } | { action: 'skip'; reason: HeartbeatSkipReason } | { action: 'interrupt' };

/** Decides whether a due heartbeat runs now, is skipped (and why), or interrupts the lane. */
export type HeartbeatRule = (situation: HeartbeatSituation) => HeartbeatDecision;

/**
 * The protocol's rule (R5.2): a busy lane is that session's business — skip with `session-busy`,
 * never the global `requests-in-flight`, and never interrupt the active run. Only a gateway-wide
 * saturation of heartbeat turns is `requests-in-flight`.
 */
export const skipBusyLanes: HeartbeatRule = ({ laneBusy, inFlight, maxInFlight }) => {
  if (laneBusy) return { action: 'skip', reason: 'session-busy' };
  if (inFlight >= maxInFlight) return { action: 'skip', reason: 'requests-in-flight' };
  return { action: 'run' };
};

export type HeartbeatTrigger = 'interval' | 'system-event' | 'retry' | 'manual';

export interface QueuedSystemEvent {
  eventId: string;
  kind: string;
  text: string;
}

export interface HeartbeatOutcome {
  sessionId: string;
  heartbeatId: string;
  trigger: HeartbeatTrigger;
  status: 'ran' | 'skipped';
  reason?: HeartbeatSkipReason;
  retryInMs?: number;
  runId?: string;
  pendingSystemEvents: number;
  at: number;
}

export interface HeartbeatRunnerOptions {
  lane: HeartbeatLane;
  /** Interval of the periodic heartbeat of every session. Default 30 s. */
  intervalMs?: number;
  /** First retry delay after a session-busy skip; doubles per consecutive skip. Default 500 ms. */
  retryBaseMs?: number;
  /** Upper bound of the retry delay. Default 30 s. */
  retryMaxMs?: number;
  /** Heartbeat turns running at once over the whole gateway; beyond it, requests-in-flight. Default 8. */
  maxInFlight?: number;
  /**
   * Every outcome, in order per session; the gateway appends it as a `heartbeat` event. For a
   * heartbeat that ran it is awaited inside the lane turn.
   */
  onOutcome(outcome: HeartbeatOutcome): void | Promise<void>;
  /** A queued system event handed to the agent inside a running heartbeat turn (`system.event`); awaited in the turn. */
  onSystemEvent(sessionId: string, runId: string, event: QueuedSystemEvent): void | Promise<void>;
  /** Where a failing outcome callback of a skipped heartbeat is reported (it must not stop the runner). */
  onError?(error: unknown): void;
  /** Default: skipBusyLanes. */
  rule?: HeartbeatRule;
  /**
   * Gateways sharing sessions: claim the periodic heartbeat of this period for this gateway
   * (resolves false when another gateway has it). Default: every tick is this gateway's.
   */
  claimInterval?(sessionId: string, intervalMs: number): Promise<boolean>;
  /**
   * Does the session have a reason for its periodic heartbeat now? A tick without one is not an
   * attempt at all (nothing logged); system events and manual triggers do not ask. Default: always.
   */
  hasReasonToBeat?(sessionId: string): boolean;
  now?: () => number;
}

export interface HeartbeatRunner {
  addSession(sessionId: string): void;
  removeSession(sessionId: string): void;
  /** Queue a system event for the session and wake its heartbeat. */
  enqueueSystemEvent(sessionId: string, event: { kind: string; text: string }): QueuedSystemEvent;
  /** Run the session's heartbeat now (control `heartbeat.trigger`). */
  trigger(sessionId: string, trigger?: HeartbeatTrigger): Promise<HeartbeatOutcome>;
  /** The lane of this session became idle: a pending retry runs now instead of waiting out its delay. */
  notifyLaneIdle(sessionId: string): void;
  pendingSystemEvents(sessionId: string): number;
  /** Sessions the runner keeps state (and a periodic timer) for. */
  sessionCount(): number;
  counters(): HeartbeatCounters;
  stop(): void;
}

interface SessionState {
  queue: QueuedSystemEvent[];
  intervalTimer: NodeJS.Timeout | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  /** Consecutive skips since the last heartbeat that ran; drives the retry back-off. */
  skipStreak: number;
  running: boolean;
}

export function createHeartbeatRunner(options: HeartbeatRunnerOptions): HeartbeatRunner {
  const intervalMs = options.intervalMs ?? 30_000;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = Math.max(retryBaseMs, options.retryMaxMs ?? 30_000);
  const maxInFlight = options.maxInFlight ?? 8;
  const now = options.now ?? Date.now;
  const rule = options.rule ?? skipBusyLanes;
  const sessions = new Map<string, SessionState>();
  const counters: HeartbeatCounters = { ran: 0, skippedSessionBusy: 0, skippedRequestsInFlight: 0, retriesScheduled: 0 };
  let inFlight = 0;
  let stopped = false;

  const ensure = (sessionId: string): SessionState => {
    let state = sessions.get(sessionId);
    if (!state) {
      state = { queue: [], intervalTimer: undefined, retryTimer: undefined, skipStreak: 0, running: false };
      sessions.set(sessionId, state);
      if (!stopped && intervalMs > 0) {
        const timer = setInterval(() => {
          // A pending retry already stands for this session's next heartbeat: an extra attempt
          // would only add a skip and cut the back-off short.
          if (sessions.get(sessionId)?.retryTimer || !(options.hasReasonToBeat?.(sessionId) ?? true)) return;
          if (!options.claimInterval) return void attempt(sessionId, 'interval');
          // Gateways sharing the session: one of them runs this period's heartbeat.
          void options.claimInterval(sessionId, intervalMs).then(
            (claimed) => void (claimed && !stopped && attempt(sessionId, 'interval')),
            (error: unknown) => options.onError?.(error),
          );
        }, intervalMs);
        timer.unref();
        state.intervalTimer = timer;
      }
    }
    return state;
  };

  const retryDelay = (streak: number) => Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, streak - 1));

  const scheduleRetry = (sessionId: string, state: SessionState, delay: number) => {
    if (state.retryTimer) clearTimeout(state.retryTimer);
    counters.retriesScheduled++;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      void attempt(sessionId, 'retry');
    }, delay);
    state.retryTimer.unref();
  };

  const skip = (sessionId: string, state: SessionState, trigger: HeartbeatTrigger, reason: HeartbeatSkipReason): HeartbeatOutcome => {
    state.skipStreak++;
    const retryInMs = retryDelay(state.skipStreak);
    if (reason === 'session-busy') counters.skippedSessionBusy++;
    else counters.skippedRequestsInFlight++;
    // The retry belongs to this session alone: no other session's timer is touched.
    scheduleRetry(sessionId, state, retryInMs);
    const outcome: HeartbeatOutcome = {
      sessionId,
      heartbeatId: randomUUID(),
      trigger,
      status: 'skipped',
      reason,
      retryInMs,
      pendingSystemEvents: state.queue.length,
      at: now(),
    };
    void Promise.resolve()
      .then(() => options.onOutcome(outcome))
      .catch((error: unknown) => options.onError?.(error));
    return outcome;
  };

  async function attempt(sessionId: string, trigger: HeartbeatTrigger): Promise<HeartbeatOutcome> {
    const state = ensure(sessionId);
    const decision = rule({ laneBusy: state.running || options.lane.isBusy(sessionId), inFlight, maxInFlight });
    if (decision.action === 'skip') return skip(sessionId, state, trigger, decision.reason);
    if (decision.action === 'interrupt') options.lane.abortActive?.(sessionId);

    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    state.skipStreak = 0;
    state.running = true;
    inFlight++;
    counters.ran++;
    const heartbeatId = randomUUID();
    let outcome: HeartbeatOutcome | undefined;
    try {
      await options.lane.runHeartbeatTurn(sessionId, async (runId) => {
        // Events are taken only now that the turn owns the lane, so a skipped heartbeat consumes nothing.
        const delivered = state.queue.splice(0, state.queue.length);
        outcome = { sessionId, heartbeatId, trigger, status: 'ran', runId, pendingSystemEvents: 0, at: now() };
        await options.onOutcome(outcome);
        for (const event of delivered) await options.onSystemEvent(sessionId, runId, event);
      });
    } finally {
      inFlight--;
      state.running = false;
    }
    return outcome ?? { sessionId, heartbeatId, trigger, status: 'ran', pendingSystemEvents: state.queue.length, at: now() };
  }

  return {
    addSession(sessionId) {
      ensure(sessionId);
    },
    removeSession(sessionId) {
      const state = sessions.get(sessionId);
      if (!state) return;
      if (state.intervalTimer) clearInterval(state.intervalTimer);
      if (state.retryTimer) clearTimeout(state.retryTimer);
      sessions.delete(sessionId);
    },
    enqueueSystemEvent(sessionId, event) {
      const state = ensure(sessionId);
      const queued: QueuedSystemEvent = { eventId: randomUUID(), kind: event.kind, text: event.text };
      state.queue.push(queued);
      // While a retry is pending the lane was busy moments ago; the retry (or the lane turning idle)
      // delivers the event, so waking now would only add another skip.
      if (!stopped && !state.retryTimer) void attempt(sessionId, 'system-event');
      return queued;
    },
    trigger(sessionId, trigger = 'manual') {
      return attempt(sessionId, trigger);
    },
    notifyLaneIdle(sessionId) {
      const state = sessions.get(sessionId);
      if (!state?.retryTimer || stopped) return;
      clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
      void attempt(sessionId, 'retry');
    },
    pendingSystemEvents(sessionId) {
      return sessions.get(sessionId)?.queue.length ?? 0;
    },
    sessionCount() {
      return sessions.size;
    },
    counters() {
      return { ...counters };
    },
    stop() {
      stopped = true;
      for (const state of sessions.values()) {
        if (state.intervalTimer) clearInterval(state.intervalTimer);
        if (state.retryTimer) clearTimeout(state.retryTimer);
        state.intervalTimer = undefined;
        state.retryTimer = undefined;
      }
    },
  };
}
