import type { Diagnostics, HeartbeatEvent, SystemEventDelivered } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectOk } from '../harness/assert.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { joinOk } from '../harness/session.js';
import { joinedClient, scriptRun, seededSession, waitRunEnd } from './helpers.js';

const BASE: Check['requires'] = ['control:session.append', 'control:heartbeat.trigger'];
const HOLD: Check['requires'] = [...BASE, 'control:lane.hold', 'control:lane.release'];

function heartbeatFrame(conn: Connection, sessionId: string, what: string, predicate: (e: HeartbeatEvent) => boolean, after = -1): Promise<ObservedFrame> {
  return conn.waitForFrame(sessionId, what, (f) => f.packetIndex > after && f.frame.event?.type === 'heartbeat' && predicate(f.frame.event as HeartbeatEvent));
}

function systemEvents(conn: Connection, sessionId: string): SystemEventDelivered[] {
  return conn
    .frames(sessionId)
    .filter((f) => f.frame.event?.type === 'system.event')
    .map((f) => f.frame.event as SystemEventDelivered);
}

async function holdLane(ctx: CheckContext, sessionId: string): Promise<void> {
  ctx.onCleanup({ type: 'lane.release', sessionId });
  await ctx.control({ type: 'lane.hold', sessionId });
}

/** Trigger a heartbeat on a busy lane and return the skipped outcome, demanding reason session-busy. */
async function expectBusySkip(ctx: CheckContext, conn: Connection, sessionId: string): Promise<HeartbeatEvent> {
  const mark = conn.packets.length - 1;
  await ctx.control({ type: 'heartbeat.trigger', sessionId });
  const frame = await heartbeatFrame(conn, sessionId, 'a heartbeat outcome', () => true, mark);
  const hb = frame.frame.event as HeartbeatEvent;
  expect(
    hb.status === 'skipped' && hb.reason === 'session-busy',
    `a heartbeat on a busy lane was ${hb.status}${hb.reason ? ` (${hb.reason})` : ''}`,
    'status skipped, reason session-busy',
    hb,
  );
  return hb;
}

async function diagnostics(conn: Connection): Promise<Diagnostics> {
  return expectOk(await conn.request('diagnostics.get', {}), 'diagnostics.get');
}

export const heartbeatChecks: Check[] = [
  verifies('R5.1', {
    id: 'heartbeat.runs-in-lane',
    walks: [walk('control:heartbeat.trigger', 'session:existing'), walk('event:session.event', 'session:existing', 'conn:plain')],
    title: 'a heartbeat on an idle session runs as a turn of its lane',
    requires: BASE,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      await ctx.control({ type: 'heartbeat.trigger', sessionId: seeded.sessionId });
      const frame = await heartbeatFrame(watcher.conn, seeded.sessionId, 'a heartbeat outcome', () => true);
      const hb = frame.frame.event as HeartbeatEvent;
      expect(hb.status === 'ran', `a heartbeat on an idle lane was ${hb.status} (${hb.reason})`, 'status ran', hb);
      expect(hb.trigger === 'manual', 'a triggered heartbeat does not say it was triggered', 'trigger manual', hb);
    },
  }),
  verifies('R5.1', {
    id: 'heartbeat.system-event-wakes',
    walks: [walk('control:system.enqueue', 'session:existing')],
    title: 'a queued system event wakes a heartbeat that delivers it',
    requires: [...BASE, 'control:system.enqueue'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      const data = await ctx.control({ type: 'system.enqueue', sessionId: seeded.sessionId, kind: 'command.finished', text: 'backup done' });
      const frame = await watcher.conn.waitForFrame(seeded.sessionId, 'system.event delivery', (f) => f.frame.event?.type === 'system.event');
      const ev = frame.frame.event as SystemEventDelivered;
      expect(
        ev.kind === 'command.finished' && ev.text === 'backup done' && (!data.eventId || ev.eventId === data.eventId),
        'the delivered system event is not the queued one',
        'kind command.finished, text "backup done"',
        ev,
      );
      const hb = watcher.conn.frames(seeded.sessionId).find((f) => f.frame.event?.type === 'heartbeat' && (f.frame.event as HeartbeatEvent).status === 'ran');
      expect(hb, 'no heartbeat ran to deliver the system event', 'a heartbeat with status ran', null);
    },
  }),
  verifies('R5.2', {
    id: 'heartbeat.busy-lane-session-busy',
    walks: [walk('control:lane.hold', 'session:existing'), walk('control:heartbeat.trigger', 'session:existing')],
    title: 'a heartbeat on a held lane is skipped with reason session-busy, not requests-in-flight',
    requires: HOLD,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      await holdLane(ctx, seeded.sessionId);
      const hb = await expectBusySkip(ctx, watcher.conn, seeded.sessionId);
      expect(typeof hb.retryInMs === 'number', 'a session-busy skip does not say when it retries', 'retryInMs', hb);
    },
  }),
  verifies('R5.2', {
    id: 'heartbeat.busy-run-not-interrupted',
    walks: [walk('control:heartbeat.trigger', 'run:running'), walk('control:run.release', 'run:running')],
    title: 'a heartbeat during a running turn is skipped and the run completes untouched',
    requires: [...BASE, 'control:run.script', 'control:run.release'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const runId = await scriptRun(ctx, seeded.sessionId, [
        { type: 'chunks', count: 3, text: 'busy ' },
        { type: 'hold', gate: 'hb' },
        { type: 'chunks', count: 3, text: 'after ' },
      ]);
      await ctl.waitForFrame(seeded.sessionId, 'the stream end before the hold', (f) => f.frame.event?.type === 'stream.end');
      await expectBusySkip(ctx, ctl, seeded.sessionId);
      const early = ctl.frames(seeded.sessionId).find((f) => f.frame.event?.type === 'run.end');
      expect(!early, 'the run ended while its lane was held by the run (the heartbeat interrupted it)', 'no run.end before the gate opens', early?.frame.event);
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'hb' });
      const end = await waitRunEnd(ctl, seeded.sessionId, runId);
      expect(
        (end.frame.event as { status: string }).status === 'completed',
        'the run did not complete after the skipped heartbeat',
        'run.end status completed',
        end.frame.event,
      );
    },
  }),
  verifies('R5.2', {
    id: 'heartbeat.busy-retried',
    walks: [walk('control:lane.release', 'session:existing')],
    title: 'a session-busy heartbeat is retried for that session once the lane is free',
    requires: HOLD,
    timeoutFactor: 3,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const bystander = await seededSession(ctx, 1, 'bystander');
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      await joinOk(watcher.conn, { sessionId: bystander.sessionId });
      await holdLane(ctx, seeded.sessionId);
      await expectBusySkip(ctx, watcher.conn, seeded.sessionId);
      const mark = watcher.conn.packets.length - 1;
      await ctx.control({ type: 'lane.release', sessionId: seeded.sessionId });
      await heartbeatFrame(watcher.conn, seeded.sessionId, 'a retry heartbeat that runs', (e) => e.trigger === 'retry' && e.status === 'ran', mark);
      const elsewhere = watcher.conn
        .frames(bystander.sessionId)
        .map((f) => f.frame.event)
        .filter((e): e is HeartbeatEvent => e?.type === 'heartbeat' && e.trigger === 'retry');
      expect(elsewhere.length === 0, 'the retry of a busy session ran heartbeats of another session', 'retries for the busy session only', elsewhere);
    },
  }),
  verifies('R5.3', {
    id: 'heartbeat.system-events-kept-while-busy',
    walks: [walk('control:system.enqueue', 'session:existing'), walk('control:lane.release', 'session:existing')],
    title: 'a skipped heartbeat consumes no queued system event; it is delivered once the lane is idle',
    requires: [...HOLD, 'control:system.enqueue'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      await holdLane(ctx, seeded.sessionId);
      const mark = watcher.conn.packets.length - 1;
      await ctx.control({ type: 'system.enqueue', sessionId: seeded.sessionId, kind: 'command.finished', text: 'kept while busy' });
      const skipped = await heartbeatFrame(watcher.conn, seeded.sessionId, 'the skipped heartbeat woken by the system event', () => true, mark);
      const hb = skipped.frame.event as HeartbeatEvent;
      expect(
        hb.status === 'skipped' && hb.reason === 'session-busy',
        `the woken heartbeat on a busy lane was ${hb.status} (${hb.reason})`,
        'skipped, session-busy',
        hb,
      );
      expect(hb.pendingSystemEvents >= 1, 'the skipped heartbeat consumed the queued system event', 'pendingSystemEvents >= 1', hb);
      expect(
        systemEvents(watcher.conn, seeded.sessionId).length === 0,
        'a system event was delivered while the lane was busy',
        'no system.event while held',
        systemEvents(watcher.conn, seeded.sessionId),
      );
      await ctx.control({ type: 'lane.release', sessionId: seeded.sessionId });
      await ctx.control({ type: 'heartbeat.trigger', sessionId: seeded.sessionId });
      const delivered = await watcher.conn.waitForFrame(seeded.sessionId, 'the system event after release', (f) => f.frame.event?.type === 'system.event');
      expect(
        (delivered.frame.event as SystemEventDelivered).text === 'kept while busy',
        'a different system event was delivered',
        'text "kept while busy"',
        delivered.frame.event,
      );
      const count = systemEvents(watcher.conn, seeded.sessionId).filter((e) => e.text === 'kept while busy').length;
      expect(count === 1, 'the system event was delivered more than once', 'exactly one delivery', count);
    },
  }),
  verifies('R5.3', {
    id: 'heartbeat.other-sessions-unaffected',
    walks: [walk('control:system.enqueue', 'session:existing'), walk('control:heartbeat.trigger', 'session:existing')],
    title: 'a busy session never delays heartbeats and system events of another idle session',
    requires: [...HOLD, 'control:system.enqueue'],
    run: async (ctx) => {
      const busy = await seededSession(ctx, 1, 'busy');
      const idle = await seededSession(ctx, 1, 'idle');
      const watcher = await joinedClient(ctx, 'watcher', idle.sessionId);
      await holdLane(ctx, busy.sessionId);
      await ctx.control({ type: 'heartbeat.trigger', sessionId: busy.sessionId });
      await ctx.control({ type: 'system.enqueue', sessionId: idle.sessionId, kind: 'command.finished', text: 'idle session event' });
      const delivered = await watcher.conn.waitForFrame(
        idle.sessionId,
        'system event delivery on the idle session',
        (f) => f.frame.event?.type === 'system.event',
      );
      expect(
        (delivered.frame.event as SystemEventDelivered).text === 'idle session event',
        'the idle session got the wrong system event',
        'idle session event',
        delivered.frame.event,
      );
      const hb = watcher.conn
        .frames(idle.sessionId)
        .map((f) => f.frame.event)
        .filter((e): e is HeartbeatEvent => e?.type === 'heartbeat');
      expect(
        hb.some((e) => e.status === 'ran') && !hb.some((e) => e.status === 'skipped'),
        'the idle session heartbeat was skipped because another session was busy',
        'heartbeat ran on the idle session',
        hb,
      );
    },
  }),
  verifies('R5.4', {
    id: 'heartbeat.outcomes-observable',
    walks: [walk('request:diagnostics.get', 'conn:plain')],
    title: 'heartbeat outcomes are counted in diagnostics by status and reason',
    requires: HOLD,
    run: async (ctx) => {
      const probe = await ctx.client('diag');
      const before = await diagnostics(probe);
      const seeded = await seededSession(ctx, 1);
      const watcher = await joinedClient(ctx, 'watcher', seeded.sessionId);
      await ctx.control({ type: 'heartbeat.trigger', sessionId: seeded.sessionId });
      await heartbeatFrame(watcher.conn, seeded.sessionId, 'a heartbeat that ran', (e) => e.status === 'ran');
      await holdLane(ctx, seeded.sessionId);
      await expectBusySkip(ctx, watcher.conn, seeded.sessionId);
      const after = await diagnostics(probe);
      expect(
        after.heartbeats.ran > before.heartbeats.ran,
        'diagnostics did not count the heartbeat that ran',
        `heartbeats.ran > ${before.heartbeats.ran}`,
        after.heartbeats,
      );
      expect(
        after.heartbeats.skippedSessionBusy > before.heartbeats.skippedSessionBusy,
        'diagnostics did not count the session-busy skip',
        `skippedSessionBusy > ${before.heartbeats.skippedSessionBusy}`,
        after.heartbeats,
      );
    },
  }),
];
