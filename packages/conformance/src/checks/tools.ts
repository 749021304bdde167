import type { Diagnostics, ToolEvent } from '@agent-gateway/schema';
import { verifies, walk, walkAbsent, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectOk } from '../harness/assert.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { judgeSequence } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { allToolPhases, describeTools, joinedClient, knownEvents, scriptRun, seededSession, toolFrames, waitRunEnd } from './helpers.js';

const SCRIPT: Check['requires'] = ['control:session.append', 'control:run.script'];
const PRESSURE: Check['requires'] = [...SCRIPT, 'control:pressure.set'];
const ALL_PHASES = ['a:start', 'a:update', 'a:update', 'a:end', 'b:start', 'b:update', 'b:result', 'c:start', 'c:error'];
const TERMINAL = ['a:end', 'b:result', 'c:error'];

function phases(frames: readonly ObservedFrame[], prefix: string): string[] {
  return frames.map((f) => {
    const e = f.frame.event as ToolEvent;
    return `${e.toolCallId.slice(prefix.length + 1)}:${e.phase}`;
  });
}

/** A session with a run-scoped control connection and one observer, a scripted run of every tool phase. */
async function toolScenario(
  ctx: CheckContext,
  prefix: string,
  opts: { pressure?: boolean } = {},
): Promise<{ sessionId: string; epoch: string; runId: string; ctl: Connection; observer: Connection; observerCursor: number }> {
  const seeded = await seededSession(ctx, 1);
  const ctl = await ctx.controller();
  await joinOk(ctl, { sessionId: seeded.sessionId });
  const observer = await joinedClient(ctx, 'observer', seeded.sessionId);
  if (opts.pressure) await openBackoff(ctx);
  const runId = await scriptRun(ctx, seeded.sessionId, allToolPhases(prefix));
  await waitRunEnd(ctl, seeded.sessionId, runId);
  await waitRunEnd(observer.conn, seeded.sessionId, runId);
  return { sessionId: seeded.sessionId, epoch: seeded.epoch, runId, ctl, observer: observer.conn, observerCursor: observer.joined.cursor };
}

/** Simulate pressure for a minute and make sure the check undoes it whatever happens. */
async function openBackoff(ctx: CheckContext, backoffMs = 60_000): Promise<void> {
  ctx.onCleanup({ type: 'pressure.set', simulated: false });
  // Close any window still open (from real pressure or an earlier check) so this one is measured alone.
  await ctx.control({ type: 'pressure.set', simulated: false });
  const data = await ctx.control({ type: 'pressure.set', simulated: true, backoffMs });
  expect(data.backoffActive !== false, 'simulated pressure did not open the back-off window', 'backoffActive true', data);
}

async function diagnostics(conn: Connection): Promise<Diagnostics> {
  return expectOk(await conn.request('diagnostics.get', {}), 'diagnostics.get');
}

export const toolChecks: Check[] = [
  verifies('R3.1', {
    id: 'tools.run-scoped-all-phases',
    walks: [
      walk('event:session.event', 'run:running', 'conn:run-scoped'),
      walkAbsent('event:session.tool', 'conn:run-scoped'),
      walk('control:run.script', 'session:existing', 'conn:run-scoped'),
    ],
    title: 'the connection that started a run receives every tool phase as session.event',
    requires: SCRIPT,
    run: async (ctx) => {
      const s = await toolScenario(ctx, 'rs');
      const tools = toolFrames(s.ctl.frames(s.sessionId), s.runId);
      expect(
        JSON.stringify(phases(tools, 'rs')) === JSON.stringify(ALL_PHASES),
        'the run-scoped connection did not get every phase in order',
        ALL_PHASES.join(', '),
        phases(tools, 'rs'),
      );
      expect(
        tools.every((f) => f.source === 'session.event'),
        'run-scoped tool events arrived as mirrors',
        'session.event for every phase',
        describeTools(tools),
      );
    },
  }),
  verifies('R3.1', {
    id: 'tools.run-subscribe-all-phases',
    walks: [walk('request:run.subscribe', 'session:existing', 'run:running', 'conn:mirror'), walk('event:session.event', 'run:running', 'conn:run-scoped')],
    title: 'a connection that sent run.subscribe receives every tool phase as session.event',
    requires: [...SCRIPT, 'control:run.release'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const subscriber = await joinedClient(ctx, 'subscriber', seeded.sessionId);
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'hold', gate: 'sub' }, ...allToolPhases('sub')]);
      expectOk(await subscriber.conn.request('run.subscribe', { sessionId: seeded.sessionId, runId }), 'run.subscribe');
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'sub' });
      await waitRunEnd(subscriber.conn, seeded.sessionId, runId);
      const tools = toolFrames(subscriber.conn.frames(seeded.sessionId), runId);
      expect(
        JSON.stringify(phases(tools, 'sub')) === JSON.stringify(ALL_PHASES),
        'the subscriber did not get every phase',
        ALL_PHASES.join(', '),
        phases(tools, 'sub'),
      );
      expect(
        tools.every((f) => f.source === 'session.event'),
        'a run-subscribed connection got mirrors',
        'session.event for every phase',
        describeTools(tools),
      );
    },
  }),
  verifies('R3.2', {
    id: 'tools.mirrors-to-other-clients',
    walks: [walk('event:session.tool', 'session:existing', 'run:running', 'conn:mirror')],
    title: 'other joined clients receive every tool phase as a session.tool mirror',
    requires: SCRIPT,
    run: async (ctx) => {
      const s = await toolScenario(ctx, 'mi');
      const tools = toolFrames(s.observer.frames(s.sessionId), s.runId);
      expect(
        tools.every((f) => f.source === 'session.tool'),
        'the observer got tool events outside session.tool',
        'session.tool for every phase',
        describeTools(tools),
      );
      const verdict = judgeSequence(s.observer.frames(s.sessionId), s.observerCursor, {
        epoch: s.epoch,
        allowSkips: ['suppressed'],
        known: knownEvents(s.ctl.frames(s.sessionId)),
      });
      expect(verdict.ok, 'mirrors and session events together are not gapless', 'one gapless seq stream over all event names', verdict.problems);
      const got = phases(tools, 'mi');
      if (JSON.stringify(got) !== JSON.stringify(ALL_PHASES)) {
        // Real pressure may open a back-off window at any time; then only announced non-terminal suppression is acceptable.
        for (const t of TERMINAL) expect(got.includes(t), `terminal mirror ${t} never reached the observer`, ALL_PHASES.join(', '), got);
        expect(
          verdict.skipped.length > 0 && verdict.skipped.every((r) => r.reason === 'suppressed'),
          'mirrors are missing without being announced as suppressed',
          `${ALL_PHASES.join(', ')} (or announced back-off suppression)`,
          got,
        );
        ctx.note('some non-terminal mirrors were suppressed by a back-off window the gateway opened itself');
      }
    },
  }),
  verifies('R3.3', {
    id: 'pressure.backoff-window',
    walks: [walk('control:pressure.set', 'conn:plain'), walk('request:diagnostics.get', 'conn:plain')],
    title: 'pressure with queued work opens a bounded back-off window of the configured length',
    requires: ['control:pressure.set'],
    run: async (ctx) => {
      const conn = await ctx.client();
      await openBackoff(ctx, 5_000);
      const diag = await diagnostics(conn);
      expect(
        diag.pressure.backoffActive === true && diag.pressure.backoffUntil !== null,
        'diagnostics do not show the back-off window',
        'pressure.backoffActive true with backoffUntil',
        diag.pressure,
      );
      const remaining = diag.pressure.backoffUntil - diag.at;
      expect(
        remaining > 0 && remaining <= 6_000,
        `the back-off window ends ${remaining} ms after now`,
        'ends within the configured 5000 ms (plus 1 s tolerance)',
        diag.pressure,
      );
    },
  }),
  verifies('R3.3', {
    id: 'pressure.pulse-window-expires',
    walks: [walk('control:pressure.pulse', 'conn:mirror', 'run:running'), walk('event:session.tool', 'run:running', 'conn:mirror')],
    title: 'a back-off window that nothing renews expires by itself: mirrors suppressed inside it, delivered again after it',
    requires: [...SCRIPT, 'control:pressure.pulse', 'control:pressure.set'],
    timeoutFactor: 2,
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const observer = await joinedClient(ctx, 'observer', seeded.sessionId);
      ctx.onCleanup({ type: 'pressure.set', simulated: false });
      await ctx.control({ type: 'pressure.set', simulated: false });
      const windowMs = 1_000;
      const opened = await ctx.control({ type: 'pressure.pulse', backoffMs: windowMs });
      expect(opened.backoffActive === true, 'pressure.pulse did not open the back-off window', 'backoffActive true', opened);
      const inside = await scriptRun(ctx, seeded.sessionId, allToolPhases('in'));
      await waitRunEnd(observer.conn, seeded.sessionId, inside);
      const insidePhases = phases(toolFrames(observer.conn.frames(seeded.sessionId), inside), 'in');
      expect(
        !insidePhases.some((p) => p.endsWith(':start') || p.endsWith(':update')),
        'non-terminal mirrors went out inside the back-off window',
        'only terminal mirrors inside the window',
        insidePhases,
      );
      // Nothing renews the window: it must close by itself within its length (plus scheduling slack).
      const deadline = Date.now() + windowMs + 2_000;
      for (;;) {
        const diag = await diagnostics(observer.conn);
        if (!diag.pressure.backoffActive) break;
        expect(Date.now() < deadline, 'the back-off window did not expire by itself', `closed within ${windowMs} ms`, diag.pressure);
        // Waiting for time to pass, not for the network: look again shortly.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const after = await scriptRun(ctx, seeded.sessionId, allToolPhases('out'));
      await waitRunEnd(observer.conn, seeded.sessionId, after);
      const afterPhases = phases(toolFrames(observer.conn.frames(seeded.sessionId), after), 'out');
      expect(afterPhases.join(' ') === ALL_PHASES.join(' '), 'mirrors are still withheld after the window expired', ALL_PHASES, afterPhases);
    },
  }),
  verifies('R3.4', {
    id: 'pressure.terminal-mirrors-delivered',
    walks: [walk('event:session.tool', 'run:running', 'conn:mirror'), walk('control:pressure.set', 'conn:mirror')],
    title: 'during back-off non-terminal mirrors are suppressed, terminal mirrors still delivered',
    requires: PRESSURE,
    run: async (ctx) => {
      const s = await toolScenario(ctx, 'pt', { pressure: true });
      const got = phases(toolFrames(s.observer.frames(s.sessionId), s.runId), 'pt');
      for (const t of TERMINAL)
        expect(got.includes(t), `terminal mirror ${t} was not delivered under back-off`, `terminal mirrors ${TERMINAL.join(', ')} delivered`, got);
      const nonTerminal = got.filter((p) => !TERMINAL.includes(p));
      expect(nonTerminal.length === 0, 'non-terminal mirrors were delivered during back-off', 'start/update mirrors suppressed', got);
    },
  }),
  verifies('R3.4', {
    id: 'pressure.run-scoped-unaffected',
    walks: [walk('event:session.event', 'run:running', 'conn:run-scoped'), walk('control:pressure.set', 'conn:run-scoped')],
    title: 'during back-off the run-scoped connection still receives every tool phase',
    requires: PRESSURE,
    run: async (ctx) => {
      const s = await toolScenario(ctx, 'pr', { pressure: true });
      const got = phases(toolFrames(s.ctl.frames(s.sessionId), s.runId), 'pr');
      expect(JSON.stringify(got) === JSON.stringify(ALL_PHASES), 'the run-scoped connection lost tool phases during back-off', ALL_PHASES.join(', '), got);
    },
  }),
  verifies(['R3.4', 'R2.1'], {
    id: 'pressure.suppression-announced',
    walks: [walk('event:session.tool', 'run:running', 'conn:mirror')],
    title: 'suppressed mirrors are announced as skipped (suppressed) and cover only non-terminal phases',
    requires: PRESSURE,
    run: async (ctx) => {
      const s = await toolScenario(ctx, 'pa', { pressure: true });
      const verdict = judgeSequence(s.observer.frames(s.sessionId), s.observerCursor, {
        epoch: s.epoch,
        allowSkips: ['suppressed'],
        known: knownEvents(s.ctl.frames(s.sessionId)),
      });
      expect(verdict.ok, 'the observer saw unannounced gaps during back-off', 'every withheld seq announced with skipped', verdict.problems);
      expect(verdict.skipped.length > 0, 'nothing was announced as suppressed', 'at least one skipped range with reason suppressed', verdict.skipped);
      const bySeq = new Map(s.ctl.frames(s.sessionId).map((f) => [f.frame.seq, f.frame.event]));
      for (const range of verdict.skipped) {
        expect(range.reason === 'suppressed', `a back-off gap is announced as ${range.reason}`, 'reason suppressed', range);
        for (let q = range.fromSeq; q <= range.toSeq; q++) {
          const e = bySeq.get(q) as ToolEvent | undefined;
          expect(
            e?.type === 'tool' && (e.phase === 'start' || e.phase === 'update'),
            `seq ${q} (${e?.type}:${(e as ToolEvent | undefined)?.phase}) was withheld as suppressed`,
            'only start/update mirrors suppressed',
            range,
          );
        }
      }
    },
  }),
  verifies('R3.5', {
    id: 'diagnostics.pressure-observable',
    covers: ['R3.5#counters'],
    walks: [walk('request:diagnostics.get', 'conn:plain')],
    title: 'diagnostics show back-off and count suppressed mirrors',
    requires: PRESSURE,
    run: async (ctx) => {
      const probe = await ctx.client('diag');
      const before = await diagnostics(probe);
      await toolScenario(ctx, 'dg', { pressure: true });
      const after = await diagnostics(probe);
      expect(after.pressure.backoffActive === true, 'diagnostics do not report the active back-off', 'pressure.backoffActive true', after.pressure);
      expect(
        after.pressure.mirrorsSuppressed > before.pressure.mirrorsSuppressed,
        'mirrorsSuppressed did not grow while mirrors were suppressed',
        `more than ${before.pressure.mirrorsSuppressed}`,
        after.pressure,
      );
      expect(
        after.pressure.mirrorsDelivered > before.pressure.mirrorsDelivered,
        'mirrorsDelivered did not count the terminal mirrors',
        `more than ${before.pressure.mirrorsDelivered}`,
        after.pressure,
      );
    },
  }),
  verifies('R3.5', {
    id: 'diagnostics.periodic-event',
    covers: ['R3.5#periodic'],
    walks: [
      walk('request:diagnostics.subscribe', 'conn:plain'),
      walk('event:diagnostics', 'conn:plain'),
      walk('control:diagnostics.interval', 'auth:authenticated'),
    ],
    title: 'diagnostics.subscribe delivers the periodic diagnostics event',
    timeoutFactor: 2,
    prefers: ['control:diagnostics.interval'],
    run: async (ctx) => {
      const conn = await ctx.client();
      // A gateway that lets the suite shorten the period is not waited out at its default.
      if (ctx.canControl('diagnostics.interval')) {
        const original = expectOk(await conn.request('diagnostics.subscribe', { enabled: false }), 'diagnostics.subscribe false').intervalMs;
        ctx.onCleanup({ type: 'diagnostics.interval', ms: Math.max(10, Math.min(60_000, original)) });
        const set = await ctx.control({ type: 'diagnostics.interval', ms: 100 });
        expect(set.intervalMs === 100, 'diagnostics.interval did not take the period', 'intervalMs 100', set);
      }
      const data = expectOk(await conn.request('diagnostics.subscribe', { enabled: true }), 'diagnostics.subscribe');
      expect(data.enabled === true, 'diagnostics.subscribe did not enable', 'enabled true', data);
      if (data.intervalMs > ctx.budgetMs * 0.8) ctx.skip(`the diagnostics interval ${data.intervalMs} ms exceeds the check's time budget`);
      await conn.waitFor<Diagnostics>('diagnostics');
      expectOk(await conn.request('diagnostics.subscribe', { enabled: false }), 'diagnostics.subscribe false');
    },
  }),
];
