import { isTerminalToolPhase, type ProtocolErrorEvent, type ScriptStep, type SessionsChanged, type ToolEvent } from '@agent-gateway/schema';
import { verifies, walk, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import { expect } from '../harness/assert.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { judgeSequence } from '../harness/sequence.js';
import { joinOk, joinSession } from '../harness/session.js';
import { followSessionList, knownEvents, runEndIn, scriptRun, seededSession, toolStep, waitRunEnd } from './helpers.js';

/**
 * Append about `bytes` of large messages: the quickest way to fill a paused socket's buffers (the
 * kernel's of both ends first, then the gateway's own). Each message stays inside the gateway's
 * payload limit and the schema's text bound.
 */
export async function fillBuffers(ctx: CheckContext, sessionId: string, bytes: number): Promise<void> {
  const size = Math.max(1_000, Math.min(900_000, ctx.hello.limits.maxPayloadBytes - 16_384));
  const text = 'z'.repeat(size);
  for (let sent = 0; sent < bytes; sent += size) await ctx.append(sessionId, [messageEvent(text, 'assistant')]);
}

/** A tool call whose start and updates fall while the slow consumer's buffers are full. */
export function toolCallScript(toolCallId: string): ScriptStep[] {
  return [
    toolStep(toolCallId, 'start'),
    toolStep(toolCallId, 'update'),
    toolStep(toolCallId, 'update'),
    { type: 'chunks', count: 3, text: 'after ' },
    toolStep(toolCallId, 'update'),
    toolStep(toolCallId, 'result'),
  ];
}

/** Wait on an ordinary connection for the terminal sessions.changed of a run. */
export function waitRunEndBroadcast(conn: Connection, sessionId: string, runId: string) {
  return conn.waitFor<SessionsChanged>('sessions.changed', (c) => c.sessionId === sessionId && c.reason === 'run.end' && c.row.lastRunId === runId);
}

/** The SLOW_CONSUMER protocol.error a gateway sends before closing a connection over its bound. */
export function slowConsumerError(conn: Connection): ProtocolErrorEvent | undefined {
  return conn.packets.find((p) => p.event === 'protocol.error' && (p.payload as ProtocolErrorEvent)?.error?.code === ('SLOW_CONSUMER' as string))?.payload as
    ProtocolErrorEvent | undefined;
}

/**
 * Judge what a slow consumer saw against the complete record of a run-scoped reader: every seq
 * once, gaps only as announced suppressed (non-terminal mirrors), the terminal mirror delivered.
 */
export function expectSlowConsumerView(
  frames: readonly ObservedFrame[],
  startAfter: number,
  reference: readonly ObservedFrame[],
  epoch: string,
  toolCallId: string,
) {
  const verdict = judgeSequence(frames, startAfter, { epoch, allowSkips: ['suppressed'], known: knownEvents(reference) });
  expect(
    verdict.ok,
    'the slow consumer lost frames other than announced, suppressed non-terminal mirrors',
    'every seq, or a suppressed skip covering only tool start/update mirrors',
    verdict.problems.slice(0, 10),
    ['R3.4', 'R2.1'],
  );
  const terminal = frames.filter((f) => f.frame.event?.type === 'tool' && f.frame.event.toolCallId === toolCallId && isTerminalToolPhase(f.frame.event.phase));
  expect(
    terminal.length === 1 && terminal[0]!.source === 'session.tool',
    'the terminal tool mirror did not reach the slow consumer exactly once',
    'one session.tool mirror with phase result',
    terminal.map((f) => `${f.source}:${(f.frame.event as ToolEvent).phase}`),
    ['R3.4'],
  );
  return verdict;
}

async function runSlowConsumer(ctx: CheckContext): Promise<void> {
  const seeded = await seededSession(ctx, 3);
  const ctl = await ctx.controller();
  await followSessionList(ctl);
  await joinOk(ctl, { sessionId: seeded.sessionId });
  const slow = await ctx.client('slow');
  // Reading stops before the join: its replay, its ack and the whole live stream wait in the buffers.
  slow.pauseReading();
  const since = 1;
  const joining = joinSession(slow, { sessionId: seeded.sessionId, since, epoch: seeded.epoch });
  await fillBuffers(ctx, seeded.sessionId, 6 * 1024 * 1024);
  const runId = await scriptRun(ctx, seeded.sessionId, toolCallScript('slow'));
  await waitRunEnd(ctl, seeded.sessionId, runId);
  await waitRunEndBroadcast(ctl, seeded.sessionId, runId);
  slow.resumeReading();
  const joined = await joining;
  expect(joined.result.ok, 'the slow consumer was refused the join', 'join answers ok', joined.result);
  // Whether this join may replay is R2.4's question: judge from wherever the gateway put it.
  const startAfter = joined.result.data.resyncRequired ? joined.result.data.cursor : since;
  if (joined.result.data.resyncRequired) ctx.note(`the join with since ${since} was answered with a resync; judged from its snapshot`);
  await slow.waitUntil(
    'the run end on the slow consumer (or a stated disconnect)',
    () => (runEndIn(slow.frames(seeded.sessionId), runId) ? true : slow.disconnectReason !== undefined ? true : undefined),
    { allowDisconnected: true },
  );
  if (slow.disconnectReason !== undefined) {
    // A gateway bounding pending output may cut the connection (R6.4); then it must have said why.
    expect(
      slowConsumerError(slow),
      `the gateway closed the slow consumer (${slow.disconnectReason}) without a stated reason`,
      'protocol.error SLOW_CONSUMER before the close',
      slow.packets.slice(-3).map((p) => p.event),
      ['R3.4'],
    );
    ctx.note('the gateway disconnected the slow consumer with SLOW_CONSUMER; only what arrived before was judged');
    return;
  }
  const verdict = expectSlowConsumerView(slow.frames(seeded.sessionId), startAfter, ctl.frames(seeded.sessionId), seeded.epoch, 'slow');
  const suppressed = verdict.skipped.filter((s) => s.reason === 'suppressed');
  if (suppressed.length === 0) ctx.note('nothing was suppressed: the gateway delivered every mirror to the slow consumer');
}

export const slowConsumerChecks: Check[] = [
  verifies(['R3.4', 'R2.1'], {
    id: 'mirrors.slow-consumer-keeps-terminal',
    title:
      'a connection that stops reading while megabytes of events pile up gets, once it reads again, every frame or an announced suppressed skip of non-terminal mirrors, and the terminal tool mirror',
    requires: ['control:session.append', 'control:run.script'],
    timeoutFactor: 3,
    walks: [
      walk('request:join', 'session:existing', 'conn:slow'),
      walk('event:joined', 'session:existing', 'conn:slow'),
      walk('event:replay', 'session:existing', 'conn:slow'),
      walk('event:session.event', 'session:existing', 'run:running', 'conn:slow'),
      walk('event:session.tool', 'run:running', 'conn:slow'),
      walk('event:sessions.changed', 'run:finished', 'conn:run-scoped'),
    ],
    run: runSlowConsumer,
  }),
];
