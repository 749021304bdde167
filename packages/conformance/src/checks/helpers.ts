import type { ControlData, Joined, ScriptStep, SessionEvent } from '@agent-gateway/schema';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { CheckFailure } from '../harness/errors.js';
import { joinOk } from '../harness/session.js';

/** A session with `count` appended messages; returns its id and position. */
export async function seededSession(ctx: CheckContext, count: number, label = 's'): Promise<{ sessionId: string; epoch: string; cursor: number }> {
  const sessionId = ctx.sessionId(label);
  const events: SessionEvent[] = [];
  for (let i = 1; i <= count; i++) events.push(messageEvent(`seed message ${i}`, i % 2 === 0 ? 'assistant' : 'user'));
  const appended = await ctx.append(sessionId, events);
  return { sessionId, epoch: appended.epoch, cursor: appended.cursor };
}

/** The session log must be exactly where it was: same epoch, same head. */
export async function expectLogUnchanged(ctx: CheckContext, sessionId: string, before: { epoch: string; cursor: number }, why: string): Promise<void> {
  const head = await ctx.headOf(sessionId);
  if (head.epoch !== before.epoch || head.cursor !== before.cursor) {
    throw new CheckFailure(`the session log changed after ${why}`, [`epoch ${before.epoch}, cursor ${before.cursor} (unchanged)`], {
      epoch: head.epoch,
      cursor: head.cursor,
    });
  }
}

/** The connection still answers a well-formed request. */
export async function expectUsable(conn: Connection, why: string): Promise<void> {
  const result = await conn.request('sessions.list', { limit: 1 });
  if (!result || result.ok !== true) throw new CheckFailure(`connection ${conn.name} is no longer usable after ${why}`, ['sessions.list answers ok'], result);
}

/** Start a scripted run from the control connection (which is run-scoped for it). */
export async function scriptRun(ctx: CheckContext, sessionId: string, steps: ScriptStep[], idempotencyKey?: string): Promise<string> {
  const data: ControlData = await ctx.control(
    idempotencyKey ? { type: 'run.script', sessionId, steps, idempotencyKey } : { type: 'run.script', sessionId, steps },
  );
  if (!data.runId) throw new CheckFailure('control run.script did not return a runId', ['run.script answers runId'], data);
  return data.runId;
}

export function toolStep(toolCallId: string, phase: 'start' | 'update' | 'end' | 'error' | 'result'): ScriptStep {
  const step: ScriptStep = { type: 'tool', toolCallId, toolName: 'conformance-tool', phase };
  if (phase === 'start') step.input = { call: toolCallId };
  if (phase === 'update') step.progress = { pct: 50 };
  if (phase === 'result') step.output = { value: 42 };
  if (phase === 'error') step.error = { code: 'AGENT_FAILED', message: 'scripted tool failure' };
  return step;
}

/** Three tool calls covering every phase: end, result and error as terminal phases. */
export function allToolPhases(prefix: string): ScriptStep[] {
  return [
    toolStep(`${prefix}-a`, 'start'),
    toolStep(`${prefix}-a`, 'update'),
    toolStep(`${prefix}-a`, 'update'),
    toolStep(`${prefix}-a`, 'end'),
    toolStep(`${prefix}-b`, 'start'),
    toolStep(`${prefix}-b`, 'update'),
    toolStep(`${prefix}-b`, 'result'),
    toolStep(`${prefix}-c`, 'start'),
    toolStep(`${prefix}-c`, 'error'),
  ];
}

/** Wait until this connection saw the run's run.end frame. */
export function waitRunEnd(conn: Connection, sessionId: string, runId: string): Promise<ObservedFrame> {
  return conn.waitForFrame(sessionId, `run.end of ${runId}`, (f) => f.frame.event?.type === 'run.end' && (f.frame.event as { runId?: string }).runId === runId);
}

/** Join fresh on a new client connection. */
export async function joinedClient(ctx: CheckContext, name: string, sessionId: string): Promise<{ conn: Connection; joined: Joined; afterAck: number }> {
  const conn = await ctx.client(name);
  const outcome = await joinOk(conn, { sessionId });
  return { conn, joined: outcome.joined, afterAck: outcome.afterAck };
}

export function toolFrames(frames: readonly ObservedFrame[], runId?: string): ObservedFrame[] {
  return frames.filter((f) => f.frame.event?.type === 'tool' && (runId === undefined || (f.frame.event as { runId?: string }).runId === runId));
}

export function describeTools(frames: readonly ObservedFrame[]): string[] {
  return frames.map((f) => {
    const e = f.frame.event as { toolCallId?: string; phase?: string };
    return `${f.source}:${e.toolCallId}:${e.phase}`;
  });
}
