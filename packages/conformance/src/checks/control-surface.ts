import { ControlCommandNames, type ControlCommand, type ControlCommandName } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';
import { joinOk } from '../harness/session.js';
import { expectLogUnchanged, seededSession } from './helpers.js';

/** A valid command of each type, aimed at a session no other check uses. */
export function sampleCommand(ctx: CheckContext, type: ControlCommandName): ControlCommand {
  const sessionId = ctx.sessionId('sample');
  const samples: { [T in ControlCommandName]: Extract<ControlCommand, { type: T }> } = {
    capabilities: { type: 'capabilities' },
    'session.append': { type: 'session.append', sessionId, events: [messageEvent('x')] },
    'session.trim': { type: 'session.trim', sessionId, oldestCursor: 1 },
    'session.recreate': { type: 'session.recreate', sessionId },
    'run.script': { type: 'run.script', sessionId, steps: [] },
    'run.release': { type: 'run.release', sessionId, gate: 'g' },
    'pressure.set': { type: 'pressure.set', simulated: false },
    'lane.hold': { type: 'lane.hold', sessionId },
    'lane.release': { type: 'lane.release', sessionId },
    'system.enqueue': { type: 'system.enqueue', sessionId, kind: 'k', text: 't' },
    'heartbeat.trigger': { type: 'heartbeat.trigger', sessionId },
    'cleanup.delay': { type: 'cleanup.delay', ms: 0 },
    'pressure.pulse': { type: 'pressure.pulse', backoffMs: 1 },
    'diagnostics.interval': { type: 'diagnostics.interval', ms: 5_000 },
  };
  return samples[type];
}

/** Every control command, sent by a connection that may not use the surface, answers CONTROL_DISABLED. */
async function expectEveryCommandDisabled(ctx: CheckContext, conn: Connection, who: string): Promise<void> {
  for (const type of ControlCommandNames) {
    expectError((await conn.requestRaw('control', sampleCommand(ctx, type))).payload, 'CONTROL_DISABLED', `control ${type} ${who}`);
  }
}

export const controlChecks: Check[] = [
  verifies('R6.2', {
    id: 'control.disabled-without-token',
    title: 'without the control token every control command answers CONTROL_DISABLED and changes nothing',
    prefers: ['control:session.append'],
    walks: [
      walk('request:control', 'session:existing', 'auth:missing'),
      ...ControlCommandNames.map((c) => walk(`control:${c}`, 'auth:missing')),
      walk('control:session.append', 'session:existing', 'auth:missing'),
      walk('control:session.trim', 'session:existing', 'auth:missing'),
    ],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 2);
      const conn = await ctx.client('plain');
      expect(
        conn.hello?.control.enabled === false,
        'hello offers the control surface to a connection without its token',
        'hello.control.enabled false',
        conn.hello?.control,
      );
      const answer = await conn.requestRaw('control', { type: 'session.append', sessionId: seeded.sessionId, events: [messageEvent('intrusion')] });
      expectError(answer.payload, 'CONTROL_DISABLED', 'control without the control token');
      expectError(
        (await conn.requestRaw('control', { type: 'session.trim', sessionId: seeded.sessionId, oldestCursor: 2 })).payload,
        'CONTROL_DISABLED',
        'control session.trim without the control token',
      );
      await expectEveryCommandDisabled(ctx, conn, 'without the control token');
      await expectLogUnchanged(ctx, seeded.sessionId, seeded, 'refused control commands');
      const head = await ctx.headOf(seeded.sessionId);
      expect(head.oldestCursor === 1, 'a refused session.trim trimmed the log', 'oldestCursor 1', head);
    },
  }),
  verifies('R6.2', {
    id: 'control.disabled-with-wrong-token',
    title: 'a wrong control token does not enable the control surface: every command answers CONTROL_DISABLED',
    walks: [walk('request:control', 'auth:wrong'), ...ControlCommandNames.map((c) => walk(`control:${c}`, 'auth:wrong'))],
    run: async (ctx) => {
      const conn = ctx.connection('wrong-control', { controlToken: `${ctx.config.controlToken ?? 'x'}-wrong` });
      const outcome = await conn.openExpectingRefusal();
      if (outcome.refused) return; // refusing the whole connection is also acceptable
      expect(
        conn.hello?.control.enabled === false,
        'a wrong control token enabled the control surface',
        'hello.control.enabled false (or a refused handshake)',
        conn.hello?.control,
      );
      await expectEveryCommandDisabled(ctx, conn, 'with a wrong control token');
    },
  }),
  verifies('R8.1', {
    id: 'control.advertises-commands',
    walks: [walk('control:capabilities', 'conn:plain'), walk('event:hello', 'conn:plain')],
    title: 'with the control token, hello and the capabilities command list the supported commands',
    requires: ['control:capabilities'],
    run: async (ctx) => {
      const ctl = await ctx.controller();
      expect(ctl.hello?.control.enabled === true, 'hello does not enable control for the control token', 'hello.control.enabled true', ctl.hello?.control);
      const listed = ctl.hello!.control.commands;
      const data = await ctx.control({ type: 'capabilities' });
      expect(
        JSON.stringify([...(data.commands ?? [])].sort()) === JSON.stringify([...listed].sort()),
        'capabilities and hello disagree',
        `commands ${JSON.stringify(listed)}`,
        data.commands,
      );
      const missing = ControlCommandNames.filter((c) => !listed.includes(c));
      if (missing.length > 0) ctx.note(`commands not implemented: ${missing.join(', ')}`);
    },
  }),
  verifies('R8.2', {
    id: 'control.unadvertised-command-unsupported',
    title: 'a control command the gateway does not advertise answers CONTROL_UNSUPPORTED',
    run: async (ctx) => {
      if (!ctx.config.controlToken) ctx.skip('no control token was given (--control-token): the control surface cannot be probed');
      const ctl = await ctx.controller();
      const listed = ctl.hello?.control.commands ?? [];
      const missing = ControlCommandNames.filter((c) => !listed.includes(c));
      if (missing.length === 0) {
        ctx.note('the gateway implements every control command');
        return;
      }
      const answer = await ctl.requestRaw('control', sampleCommand(ctx, missing[0]!));
      expectError(answer.payload, 'CONTROL_UNSUPPORTED', `unadvertised control command ${missing[0]}`);
    },
  }),
  verifies('R8.1', {
    id: 'control.over-the-wire',
    walks: [walk('control:session.append', 'session:fresh', 'session:existing', 'log:empty'), walk('event:session.event', 'session:existing', 'conn:plain')],
    title: 'control commands take effect on the wire: an appended event reaches a joined client',
    requires: ['control:session.append'],
    run: async (ctx) => {
      const seeded = await seededSession(ctx, 1);
      const conn = await ctx.client();
      await joinOk(conn, { sessionId: seeded.sessionId, since: seeded.cursor, epoch: seeded.epoch });
      const appended = await ctx.append(seeded.sessionId, [messageEvent('via control')]);
      const frame = await conn.waitForFrame(seeded.sessionId, 'the appended event', (f) => f.frame.seq === appended.lastSeq);
      expect((frame.frame.event as { text?: string }).text === 'via control', 'the appended event differs', 'text "via control"', frame.frame.event);
      expectOk(await conn.request('sessions.list', {}), 'sessions.list');
    },
  }),
];
