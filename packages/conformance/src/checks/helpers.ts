import type { ChatSendData, ControlData, Joined, RunEndEvent, ScriptStep, SessionEvent } from '@agent-gateway/schema';
import { expectOk } from '../harness/assert.js';
import type { CheckContext } from '../context.js';
import { messageEvent } from '../context.js';
import type { Connection, ObservedFrame } from '../harness/connection.js';
import { CheckFailure } from '../harness/errors.js';
import { joinOk } from '../harness/session.js';

/** At most this many chat turns seed a session when session.append is not available. */
const MAX_SEED_TURNS = 10;

/**
 * A session with at least `count` events; returns its id and position. With session.append (a
 * check that needs it, or prefers it and the gateway has it) exactly `count` messages; otherwise
 * chat turns answered by the gateway's own agent, until the log holds `count` events, each turn
 * finished before the check goes on.
 */
export async function seededSession(ctx: CheckContext, count: number, label = 's'): Promise<{ sessionId: string; epoch: string; cursor: number }> {
  const sessionId = ctx.sessionId(label);
  if (!ctx.canControl('session.append')) return seededByChat(ctx, sessionId, count);
  const events: SessionEvent[] = [];
  for (let i = 1; i <= count; i++) events.push(messageEvent(`seed message ${i}`, i % 2 === 0 ? 'assistant' : 'user'));
  const appended = await ctx.append(sessionId, events);
  return { sessionId, epoch: appended.epoch, cursor: appended.cursor };
}

async function seededByChat(ctx: CheckContext, sessionId: string, count: number): Promise<{ sessionId: string; epoch: string; cursor: number }> {
  const seeder = await ctx.client('seeder');
  const joined = await joinOk(seeder, { sessionId });
  let cursor = joined.joined.cursor;
  for (let turn = 1; turn <= MAX_SEED_TURNS && cursor < count; turn++) {
    const sent = await chatSend(seeder, sessionId, `seed-${turn}-${randomTail()}`, `seed message ${turn}`);
    const end = await waitRunEnd(seeder, sessionId, sent.runId);
    cursor = end.frame.seq;
  }
  if (cursor < count) throw new CheckFailure(`${MAX_SEED_TURNS} chat turns left only ${cursor} events in the log`, [`at least ${count} events`], cursor);
  seeder.close();
  // The head as a fresh joiner sees it: whatever the gateway logged after the last run.end counts.
  const head = await ctx.headOf(sessionId);
  return { sessionId, epoch: head.epoch, cursor: head.cursor };
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

/**
 * Follow the session list: from now on the connection hears sessions.changed for every row it may
 * see. Under 1.1 a connection asks for it (sessions.subscribe); a 1.0 connection hears it unasked.
 */
export async function followSessionList(conn: Connection): Promise<void> {
  if (conn.hello?.protocolVersion === '1.0') return;
  const result = await conn.request('sessions.subscribe', { enabled: true });
  if (!result || result.ok !== true)
    throw new CheckFailure(`connection ${conn.name} could not subscribe to the session list`, ['sessions.subscribe answers ok'], result);
}

/** A new connection that follows the session list. */
export async function listFollower(ctx: CheckContext, name = 'listener'): Promise<Connection> {
  const conn = await ctx.client(name);
  await followSessionList(conn);
  return conn;
}

/** How most run checks begin: a list follower, a session with one event, and the controller joined to it. */
export async function watchedSession(
  ctx: CheckContext,
): Promise<{ listener: Connection; seeded: { sessionId: string; epoch: string; cursor: number }; ctl: Connection }> {
  const listener = await listFollower(ctx);
  const seeded = await seededSession(ctx, 1);
  const ctl = await ctx.controller();
  await joinOk(ctl, { sessionId: seeded.sessionId });
  return { listener, seeded, ctl };
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

/** Send a chat message as a user would; the gateway's own agent answers it. */
export async function chatSend(conn: Connection, sessionId: string, idempotencyKey: string, text = 'conformance says hello'): Promise<ChatSendData> {
  return expectOk(await conn.request('chat.send', { sessionId, text, idempotencyKey }), `chat.send to ${sessionId}`);
}

/** The run id an event belongs to, if it belongs to one. */
export function runIdOf(event: SessionEvent | undefined): string | undefined {
  return event && 'runId' in event && typeof event.runId === 'string' ? event.runId : undefined;
}

/** Frames of one run, as this connection received them. */
export function framesOfRun(conn: Connection, sessionId: string, runId: string): ObservedFrame[] {
  return conn.frames(sessionId).filter((f) => runIdOf(f.frame.event) === runId);
}

/** The run.end event of a run in a list of frames, if it arrived. */
export function runEndIn(frames: readonly ObservedFrame[], runId: string): RunEndEvent | undefined {
  return frames.find((f) => f.frame.event?.type === 'run.end' && f.frame.event.runId === runId)?.frame.event as RunEndEvent | undefined;
}

/** What a connection saw, by seq: the events a sequence judge may hold a skipped range against. */
export function knownEvents(...sources: (readonly ObservedFrame[])[]): Map<number, SessionEvent> {
  const known = new Map<number, SessionEvent>();
  for (const frames of sources) for (const f of frames) if (typeof f.frame.seq === 'number' && f.frame.event) known.set(f.frame.seq, f.frame.event);
  return known;
}

/** A session id with this prefix and a random tail (sessions the suite names itself). */
export function randomTail(): string {
  return Math.random().toString(36).slice(2, 10);
}
