import type { HeartbeatEvent } from '@agent-gateway/schema';
import type { GatewayCore } from './core.js';
import { createHeartbeatRunner, type HeartbeatLane, type HeartbeatOutcome, type HeartbeatRunner } from './heartbeat-runner.js';
import type { HttpRouter } from './http.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { DEFAULT_SLOW_CONSUMER_BYTES, decideMirror } from './mirror-policy.js';
import type { GatewayOptions } from './options.js';
import { createPressureMonitor, type PressureMonitor, type WorkloadSnapshot } from './pressure-monitor.js';
import { newRunId } from './runs.js';

/**
 * The load-related behaviour layered on the gateway core: pressure measurement and the tool-mirror
 * back-off, heartbeats in session lanes, diagnostics sources, the /metrics route and the control
 * commands that drive them.
 */
export interface RunFeatures {
  readonly pressure: PressureMonitor;
  readonly heartbeats: HeartbeatRunner;
  readonly metrics: GatewayMetrics;
  /** A session was created: it gets its heartbeat interval. */
  sessionCreated(sessionId: string): void;
  /** A session lane has nothing running or queued any more. */
  laneIdle(sessionId: string): void;
  close(): void;
}

export function attachRunFeatures(core: GatewayCore, options: GatewayOptions, router: HttpRouter): RunFeatures {
  const { sessions, runs, fanout, faults, logger } = core;

  const workload = (): WorkloadSnapshot => {
    const counts = runs.counts();
    let pendingFrames = 0;
    for (const outbox of core.outboxes.values()) pendingFrames += outbox.pendingFrames;
    // Queued work is everything the gateway still owes: turns running or waiting and frames not yet
    // handed to Socket.IO. A saturated loop with none of it is not worth backing off for.
    return { active: counts.running, waiting: counts.queued, queued: counts.running + counts.queued + pendingFrames };
  };

  const pressure = createPressureMonitor({
    queuedWork: workload,
    ...(options.pressure?.backoffMs !== undefined ? { backoffMs: options.pressure.backoffMs } : {}),
    ...(options.pressure?.sampleIntervalMs !== undefined ? { sampleIntervalMs: options.pressure.sampleIntervalMs } : {}),
    ...(options.pressure?.delayThresholdMs !== undefined ? { delayThresholdMs: options.pressure.delayThresholdMs } : {}),
    onBackoffChange: (active) =>
      logger.info({ backoffActive: active, pressure: workload() }, active ? 'tool-mirror back-off opened' : 'tool-mirror back-off closed'),
  });
  if (options.pressure?.enabled !== false) pressure.start();

  const slowConsumerBytes = options.pressure?.slowConsumerBytes ?? DEFAULT_SLOW_CONSUMER_BYTES;
  // The fan-out asks only about mirrors (sockets not run-scoped for the run); run-scoped sockets get
  // every phase as session.event without consulting the policy.
  fanout.setMirrorPolicy((ctx) => {
    const backoffActive = pressure.isBackoffActive();
    const decision = decideMirror({
      phase: ctx.event.phase,
      runScoped: false,
      backoffActive,
      // Reading the socket buffers costs a walk over engine.io's queue: only when it can matter.
      bufferedBytes: ctx.terminal || backoffActive ? 0 : ctx.bufferedAmount(),
      slowConsumerBytes,
      faults,
    });
    pressure.recordMirror(decision);
    return decision;
  });

  const heartbeatLane: HeartbeatLane = {
    isBusy: (sessionId) => sessions.get(sessionId)?.lane.isBusy() ?? false,
    runHeartbeatTurn: (sessionId, work) =>
      new Promise<void>((resolve, reject) => {
        const session = sessions.get(sessionId);
        if (!session) return resolve();
        const runId = newRunId();
        session.lane.enqueue({
          id: runId,
          kind: 'heartbeat',
          execute: async () => {
            try {
              await work(runId);
              resolve();
            } catch (error) {
              reject(error);
              throw error;
            }
          },
          cancelled: () => resolve(),
        });
      }),
    abortActive: (sessionId) => void sessions.get(sessionId)?.lane.abortActive(undefined, new Error('interrupted by a heartbeat')),
  };

  // eslint-disable-next-line prefer-const -- read by a closure created before it is assigned
  let metrics: GatewayMetrics | undefined;
  const appendOutcome = async (outcome: HeartbeatOutcome): Promise<void> => {
    metrics?.recordHeartbeat(outcome.status, outcome.reason);
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

  const heartbeatsEnabled = options.heartbeat?.enabled !== false;
  const heartbeats = createHeartbeatRunner({
    lane: heartbeatLane,
    // Disabled heartbeats still deliver system events when woken; only the periodic timer goes.
    intervalMs: heartbeatsEnabled ? (options.heartbeat?.intervalMs ?? 30_000) : 0,
    ...(options.heartbeat?.retryBaseMs !== undefined ? { retryBaseMs: options.heartbeat.retryBaseMs } : {}),
    ...(options.heartbeat?.retryMaxMs !== undefined ? { retryMaxMs: options.heartbeat.retryMaxMs } : {}),
    ...(options.heartbeat?.maxInFlight !== undefined ? { maxInFlight: options.heartbeat.maxInFlight } : {}),
    onOutcome: appendOutcome,
    onSystemEvent: async (sessionId, runId, queued) => {
      const session = sessions.get(sessionId);
      if (!session) return;
      await sessions.append(session, [{ type: 'system.event', eventId: queued.eventId, kind: queued.kind, text: queued.text, runId, at: Date.now() }]);
    },
    onError: (error) => logger.error({ err: error }, 'recording a heartbeat outcome failed'),
    faults,
  });
  for (const session of sessions.all()) heartbeats.addSession(session.id);

  const hub = core.diagnostics;
  const baseSources = hub.sources;
  hub.sources = {
    pressure: () => pressure.state(),
    heartbeats: () => heartbeats.counters(),
    connections: baseSources.connections,
    sessions: baseSources.sessions,
  };
  metrics = createMetrics({ ...hub.sources, replays: () => hub.counters.replays, resyncs: () => hub.counters.resyncs });
  const scrape = metrics;
  router.route('GET', '/metrics', (req, res) => void scrape.handle(req, res));

  registerRunControlCommands(core, pressure, heartbeats);

  return {
    pressure,
    heartbeats,
    metrics,
    sessionCreated: (sessionId) => heartbeats.addSession(sessionId),
    laneIdle: (sessionId) => heartbeats.notifyLaneIdle(sessionId),
    close() {
      heartbeats.stop();
      pressure.stop();
    },
  };
}

function registerRunControlCommands(core: GatewayCore, pressure: PressureMonitor, heartbeats: HeartbeatRunner): void {
  const { control, sessions } = core;
  const holds = new Map<string, () => void>();
  let holdCounter = 0;

  control.register('pressure.set', async (command) => {
    pressure.simulate(command.simulated, command.backoffMs);
    return { ok: true, data: { type: 'pressure.set', backoffActive: pressure.isBackoffActive() } };
  });

  control.register('lane.hold', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    // Holding a held lane again keeps the one hold: lane.release always frees it.
    if (!holds.has(session.id)) {
      holdCounter += 1;
      const release = session.lane.hold(`hold-${holdCounter.toString(36)}`);
      holds.set(session.id, release);
    }
    return { ok: true, data: { type: 'lane.hold', sessionId: session.id } };
  });

  control.register('lane.release', async (command) => {
    const release = holds.get(command.sessionId);
    holds.delete(command.sessionId);
    release?.();
    return { ok: true, data: { type: 'lane.release', sessionId: command.sessionId } };
  });

  control.register('system.enqueue', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    heartbeats.addSession(session.id);
    const queued = heartbeats.enqueueSystemEvent(session.id, { kind: command.kind, text: command.text });
    return { ok: true, data: { type: 'system.enqueue', sessionId: session.id, eventId: queued.eventId } };
  });

  control.register('heartbeat.trigger', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    heartbeats.addSession(session.id);
    const outcome = await heartbeats.trigger(session.id, 'manual');
    return { ok: true, data: { type: 'heartbeat.trigger', sessionId: session.id, ...(outcome.runId ? { runId: outcome.runId } : {}) } };
  });
}
