import { createScriptedAgent, Gates } from '../agent/scripted-agent.js';
import type { GatewayCore } from '../core.js';
import type { ControlSurface } from './control.js';

/**
 * The control commands of the reference gateway (R8.1): what a conformance suite cannot cause
 * through the public protocol — append chosen events, trim or recreate a log, play a scripted run,
 * simulate pressure, hold a lane, queue a system event, trigger a heartbeat, slow run cleanup.
 * The surface answers only connections that presented the control token (see ControlSurface).
 */
export function registerControlCommands(surface: ControlSurface, core: GatewayCore): void {
  const { sessions, lifecycle, runs, pressure, heartbeats } = core;
  // Named gates that `hold` steps of scripted runs wait on, opened by run.release.
  const gates = new Gates();
  // Lanes held by lane.hold, released by lane.release.
  const holds = new Map<string, () => void>();
  let holdCounter = 0;

  surface.register('capabilities', async () => ({ ok: true, data: { type: 'capabilities', commands: surface.commands() } }));

  surface.register('session.append', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    return session.serial.run(async () => {
      const entries = await sessions.appendNow(session, command.events);
      const head = await session.log.head();
      return {
        ok: true as const,
        data: {
          type: 'session.append' as const,
          sessionId: session.id,
          epoch: head.epoch,
          firstSeq: entries[0]?.seq ?? head.cursor,
          lastSeq: entries[entries.length - 1]?.seq ?? head.cursor,
          cursor: head.cursor,
          oldestCursor: head.oldestCursor,
        },
      };
    });
  });

  surface.register('session.trim', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    const head = await session.serial.run(() => session.log.trim(command.oldestCursor));
    return { ok: true, data: { type: 'session.trim', sessionId: session.id, epoch: head.epoch, cursor: head.cursor, oldestCursor: head.oldestCursor } };
  });

  surface.register('session.recreate', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    const head = await sessions.recreate(session);
    return { ok: true, data: { type: 'session.recreate', sessionId: session.id, epoch: head.epoch, cursor: head.cursor, oldestCursor: head.oldestCursor } };
  });

  surface.register('run.script', async (command, context) => {
    const session = await sessions.getOrCreate(command.sessionId);
    core.listFeed.follow(session.id, context.outbox);
    const started = await lifecycle.start({
      session,
      trigger: 'chat',
      scopedSocketId: context.socket.id,
      ...(command.idempotencyKey ? { idempotencyKey: command.idempotencyKey } : {}),
      body: { kind: 'agent', agent: createScriptedAgent(command.steps, gates), text: '' },
    });
    if ('refused' in started) return { ok: false, error: started.refused };
    return { ok: true, data: { type: 'run.script', sessionId: session.id, runId: started.run.runId } };
  });

  surface.register('run.release', async (command) => {
    gates.open(command.sessionId, command.gate);
    return { ok: true, data: { type: 'run.release', sessionId: command.sessionId } };
  });

  surface.register('cleanup.delay', async (command) => {
    runs.cleanupDelayMs = command.ms;
    return { ok: true, data: { type: 'cleanup.delay' } };
  });

  surface.register('pressure.set', async (command) => {
    pressure.simulate(command.simulated, command.backoffMs);
    return { ok: true, data: { type: 'pressure.set', backoffActive: pressure.isBackoffActive() } };
  });

  surface.register('pressure.pulse', async (command) => {
    pressure.pulse(command.backoffMs);
    return { ok: true, data: { type: 'pressure.pulse', backoffActive: pressure.isBackoffActive() } };
  });

  surface.register('diagnostics.interval', async (command) => {
    core.diagnostics.setIntervalMs(command.ms);
    return { ok: true, data: { type: 'diagnostics.interval', intervalMs: core.diagnostics.intervalMs } };
  });

  surface.register('lane.hold', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    // Holding a held lane again keeps the one hold: lane.release always frees it.
    if (!holds.has(session.id)) {
      holdCounter += 1;
      holds.set(session.id, session.lane.hold(`hold-${holdCounter.toString(36)}`));
    }
    return { ok: true, data: { type: 'lane.hold', sessionId: session.id } };
  });

  surface.register('lane.release', async (command) => {
    const release = holds.get(command.sessionId);
    holds.delete(command.sessionId);
    release?.();
    return { ok: true, data: { type: 'lane.release', sessionId: command.sessionId } };
  });

  surface.register('system.enqueue', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    heartbeats.addSession(session.id);
    const queued = heartbeats.enqueueSystemEvent(session.id, { kind: command.kind, text: command.text });
    return { ok: true, data: { type: 'system.enqueue', sessionId: session.id, eventId: queued.eventId } };
  });

  surface.register('heartbeat.trigger', async (command) => {
    const session = await sessions.getOrCreate(command.sessionId);
    heartbeats.addSession(session.id);
    const outcome = await heartbeats.trigger(session.id, 'manual');
    return { ok: true, data: { type: 'heartbeat.trigger', sessionId: session.id, ...(outcome.runId ? { runId: outcome.runId } : {}) } };
  });
}
