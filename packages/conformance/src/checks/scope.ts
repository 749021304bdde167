import { verifies, walk, type Check } from '../check.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import { joinOk } from '../harness/session.js';
import { allToolPhases, chatSend, describeTools, framesOfRun, joinedClient, runEndIn, scriptRun, seededSession, toolFrames, waitRunEnd } from './helpers.js';

/**
 * Idempotency keys and run ids belong to their session (R4.3): a gateway that keys its retry guard
 * or its run table by the bare id lets one session answer for, abort or spy on another's runs.
 */
export const scopeChecks: Check[] = [
  verifies('R4.3', {
    id: 'runs.idempotency-key-per-session',
    title: 'the same idempotency key in two sessions starts two runs; a repeat within one session still returns its original',
    walks: [
      walk('request:chat.send', 'session:fresh', 'session:existing', 'run:other-session', 'run:running', 'log:empty', 'conn:run-scoped'),
      walk('event:session.event', 'session:fresh', 'run:running', 'log:empty', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const a = ctx.sessionId('key-a');
      const b = ctx.sessionId('key-b');
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: a });
      await joinOk(conn, { sessionId: b });
      const key = 'same-key-in-two-sessions';
      const inA = await chatSend(conn, a, key, 'first session');
      const inB = await chatSend(conn, b, key, 'second session');
      expect(
        inB.runId !== inA.runId && inB.duplicate === false && inB.sessionId === b,
        'the key of another session answered with its run instead of starting one',
        `a new run in ${b}, duplicate false`,
        { first: inA, second: inB },
      );
      const repeat = await chatSend(conn, a, key, 'first session');
      expect(
        repeat.runId === inA.runId && repeat.duplicate === true,
        'a repeat in the first session did not return its original run',
        `runId ${inA.runId}, duplicate true`,
        repeat,
      );
      await waitRunEnd(conn, a, inA.runId);
      await waitRunEnd(conn, b, inB.runId);
      for (const [sessionId, text] of [
        [a, 'first session'],
        [b, 'second session'],
      ] as const) {
        const users = conn.frames(sessionId).filter((f) => f.frame.event?.type === 'message' && f.frame.event.role === 'user');
        expect(
          users.length === 1 && (users[0]!.frame.event as { text?: string }).text === text,
          `session ${sessionId} did not get exactly its own user message`,
          `one user message "${text}"`,
          users.map((f) => f.frame.event),
        );
      }
    },
  }),
  verifies('R4.3', {
    id: 'runs.other-session-run-not-found',
    title: "chat.abort and run.subscribe naming another session's run answer RUN_NOT_FOUND and leave that run alone",
    walks: [
      walk('request:chat.abort', 'session:existing', 'run:other-session', 'conn:run-scoped'),
      walk('request:run.subscribe', 'session:existing', 'run:other-session', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const home = ctx.sessionId('home');
      const other = ctx.sessionId('other');
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: home });
      await joinOk(conn, { sessionId: other });
      const sent = await chatSend(conn, home, 'cross-session-1');
      expectError(await conn.request('chat.abort', { sessionId: other, runId: sent.runId }), 'RUN_NOT_FOUND', "chat.abort naming another session's run");
      expectError(await conn.request('run.subscribe', { sessionId: other, runId: sent.runId }), 'RUN_NOT_FOUND', "run.subscribe naming another session's run");
      const end = await waitRunEnd(conn, home, sent.runId);
      expect(
        (end.frame.event as { status?: string }).status !== 'aborted',
        'a chat.abort sent to another session aborted the run',
        'the run ends as its agent makes it end, not aborted',
        end.frame.event,
      );
      const leaked = framesOfRun(conn, other, sent.runId);
      expect(leaked.length === 0, 'events of the run arrived as frames of the other session', `no frame of ${sent.runId} in ${other}`, leaked.length);
    },
  }),
  verifies(['R4.3', 'R3.2'], {
    id: 'runs.other-session-subscribe-not-scoped',
    title: "a refused run.subscribe for another session's run does not make the connection run-scoped: its tool events stay mirrors",
    requires: ['control:session.append', 'control:run.script', 'control:run.release'],
    walks: [
      walk('request:run.subscribe', 'run:other-session', 'run:running', 'conn:mirror'),
      walk('event:session.tool', 'run:other-session', 'run:running', 'conn:mirror'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const decoy = ctx.sessionId('decoy');
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const observer = await joinedClient(ctx, 'observer', seeded.sessionId);
      await joinOk(observer.conn, { sessionId: decoy });
      const runId = await scriptRun(ctx, seeded.sessionId, [{ type: 'hold', gate: 'cross' }, ...allToolPhases('xs')]);
      expectError(await observer.conn.request('run.subscribe', { sessionId: decoy, runId }), 'RUN_NOT_FOUND', "run.subscribe naming another session's run");
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'cross' });
      await waitRunEnd(observer.conn, seeded.sessionId, runId);
      const tools = toolFrames(observer.conn.frames(seeded.sessionId), runId);
      expect(tools.length > 0, 'the observer received no tool event of the run', 'session.tool mirrors of every terminal phase', 0, ['R3.2']);
      expect(
        tools.every((f) => f.source === 'session.tool'),
        'after a refused run.subscribe the connection receives tool events as if run-scoped',
        'session.tool mirrors only',
        describeTools(tools),
        ['R4.3'],
      );
    },
  }),
  verifies('R3.1', {
    id: 'tools.run-subscribe-queued',
    title:
      'run.subscribe to a queued run makes the connection run-scoped once it runs; subscribing to a finished run answers its status; an unknown run is RUN_NOT_FOUND',
    requires: ['control:session.append', 'control:run.script', 'control:run.release'],
    walks: [
      walk('request:run.subscribe', 'session:existing', 'run:queued', 'run:finished', 'run:unknown', 'conn:mirror'),
      walk('event:session.event', 'run:running', 'conn:run-scoped'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const ctl = await ctx.controller();
      await joinOk(ctl, { sessionId: seeded.sessionId });
      const subscriber = await joinedClient(ctx, 'subscriber', seeded.sessionId);
      await scriptRun(ctx, seeded.sessionId, [{ type: 'hold', gate: 'blocker' }]);
      await ctl.waitForFrame(seeded.sessionId, 'run.start of the blocking run', (f) => f.frame.event?.type === 'run.start');
      const queued = await scriptRun(ctx, seeded.sessionId, allToolPhases('sq'));
      const sub = expectOk(await subscriber.conn.request('run.subscribe', { sessionId: seeded.sessionId, runId: queued }), 'run.subscribe of a queued run');
      expect(sub.runId === queued && sub.status === 'queued', 'run.subscribe of a queued run does not say it is queued', 'status queued', sub);
      await ctx.control({ type: 'run.release', sessionId: seeded.sessionId, gate: 'blocker' });
      await waitRunEnd(subscriber.conn, seeded.sessionId, queued);
      const tools = toolFrames(subscriber.conn.frames(seeded.sessionId), queued);
      expect(
        tools.length === 9 && tools.every((f) => f.source === 'session.event'),
        'the subscriber of the queued run did not get every tool phase as session.event',
        '9 phases, all session.event',
        describeTools(tools),
      );
      const end = runEndIn(subscriber.conn.frames(seeded.sessionId), queued)!;
      const late = expectOk(await subscriber.conn.request('run.subscribe', { sessionId: seeded.sessionId, runId: queued }), 'run.subscribe of a finished run');
      expect(late.status === end.status, 'run.subscribe of a finished run does not answer its final status', `status ${end.status}`, late);
      expectError(
        await subscriber.conn.request('run.subscribe', { sessionId: seeded.sessionId, runId: 'no-such-run-9' }),
        'RUN_NOT_FOUND',
        'run.subscribe of an unknown run',
      );
    },
  }),
];
