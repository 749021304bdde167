import type { HeartbeatEvent } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { RunLifecycle } from '../runs/index.js';
import type { SessionRegistry } from '../sessions/index.js';
import { createHeartbeatRunner, type HeartbeatOutcome, type HeartbeatRule, type HeartbeatRunner } from './heartbeat-runner.js';

export interface HeartbeatOptions {
  /** Periodic heartbeat of every session (default 30 s); `enabled: false` turns the timer off. */
  intervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxInFlight?: number;
  enabled?: boolean;
}

export interface GatewayHeartbeatsOptions {
  sessions: SessionRegistry;
  lifecycle: RunLifecycle;
  logger: Logger;
  options: HeartbeatOptions | undefined;
  /** Every outcome, for metrics. */
  recorded(outcome: HeartbeatOutcome): void;
  rule?: HeartbeatRule;
  /** Gateways sharing sessions: one of them runs each period's heartbeat of a session. */
  claimInterval?(sessionId: string, intervalMs: number): Promise<boolean>;
  /** The session has someone to beat for (a joined socket); without one its periodic heartbeat rests. */
  hasReasonToBeat?(sessionId: string): boolean;
}

/**
 * The heartbeat runner wired into the gateway: heartbeat turns are runs of the session's lane
 * (started through the run lifecycle), every outcome is a `heartbeat` event of the session log, and
 * queued system events are delivered as `system.event` inside the turn that runs. Only loaded
 * sessions beat, and periodically only while they have a reason to.
 */
export function createGatewayHeartbeats(deps: GatewayHeartbeatsOptions): HeartbeatRunner {
  const { sessions, lifecycle, logger, options } = deps;

  const appendOutcome = async (outcome: HeartbeatOutcome): Promise<void> => {
    deps.recorded(outcome);
    const session = sessions.get(outcome.sessionId);
    if (!session) return;
    const event: HeartbeatEvent = {
      type: 'heartbeat',
      heartbeatId: outcome.heartbeatId,
      trigger: outcome.trigger,
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.retryInMs !== undefined ? { retryInMs: outcome.retryInMs } : {}),
      ...(outcome.runId ? { runId: outcome.runId } : {}),
      pendingSystemEvents: outcome.pendingSystemEvents,
      at: outcome.at,
    };
    await sessions.append(session, [event]);
  };

  const heartbeats = createHeartbeatRunner({
    lane: {
      isBusy: (sessionId) => sessions.get(sessionId)?.lane.isBusy() ?? false,
      runHeartbeatTurn: async (sessionId, work) => {
        const session = sessions.get(sessionId);
        if (!session) return;
        const started = await lifecycle.start({ session, trigger: 'heartbeat', body: { kind: 'turn', work: (runId) => Promise.resolve(work(runId)) } });
        // A turn is never refused: only agent runs count against the lane's bound.
        if ('settled' in started) await started.settled;
      },
      abortActive: (sessionId) => void sessions.get(sessionId)?.lane.abortActive(undefined, new Error('interrupted by a heartbeat')),
    },
    // Disabled heartbeats still deliver system events when woken; only the periodic timer goes.
    intervalMs: options?.enabled === false ? 0 : (options?.intervalMs ?? 30_000),
    ...(options?.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    ...(options?.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
    ...(options?.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(deps.rule ? { rule: deps.rule } : {}),
    ...(deps.claimInterval ? { claimInterval: deps.claimInterval } : {}),
    ...(deps.hasReasonToBeat ? { hasReasonToBeat: deps.hasReasonToBeat } : {}),
    onOutcome: appendOutcome,
    onSystemEvent: async (sessionId, runId, queued) => {
      const session = sessions.get(sessionId);
      if (!session) return;
      await sessions.append(session, [{ type: 'system.event', eventId: queued.eventId, kind: queued.kind, text: queued.text, runId, at: Date.now() }]);
    },
    onError: (error) => logger.error({ err: error }, 'recording a heartbeat outcome failed'),
  });
  sessions.events.on('created', (sessionId) => heartbeats.addSession(sessionId));
  sessions.events.on('laneIdle', (sessionId) => heartbeats.notifyLaneIdle(sessionId));
  // An unloaded session beats no more: its timers go with it.
  sessions.events.on('unloaded', (sessionId) => heartbeats.removeSession(sessionId));
  for (const session of sessions.all()) heartbeats.addSession(session.id);
  return heartbeats;
}
