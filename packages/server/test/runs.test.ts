import type { EventFrame, SessionsChanged } from '@agent-gateway/schema';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoAgent, type Agent } from '../src/index.js';
import { RunRegistry } from '../src/runs/index.js';
import { createHarness } from './helpers/wire.js';
import { internalsOf } from '../src/testing/index.js';

const h = createHarness();
afterEach(async () => {
  vi.useRealTimers();
  await h.closeAll();
});

const CONTROL = 'control-secret';
const fastDemo = () => createDemoAgent({ chunkDelayMs: 0, toolDelayMs: 0 });

describe('chat.send and the idempotency guard (R4.3)', () => {
  it('a repeat with the same key returns the original run with duplicate: true and starts nothing', async () => {
    const gw = await h.start({ agent: fastDemo() });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'idem' });
    const first = await c.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    const second = await c.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    if (!first.ok || !second.ok) throw new Error();
    expect(first.data.duplicate).toBe(false);
    expect(second.data).toMatchObject({ runId: first.data.runId, duplicate: true });
    await c.rec.untilEvent('idem', (f) => f.event.type === 'run.end');
    const third = await c.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    expect(third).toMatchObject({ ok: true, data: { runId: first.data.runId, duplicate: true, status: 'completed' } });
    const starts = c.rec.frames('idem').filter((f) => f.event.type === 'run.start' || f.event.type === 'message');
    expect(starts.map((f) => f.event.type)).toEqual(['message', 'run.start']);
  });

  it('concurrent repeats start exactly one run', async () => {
    const gw = await h.start({ agent: fastDemo() });
    const c = await h.client(gw);
    const results = await Promise.all(Array.from({ length: 10 }, () => c.request('chat.send', { sessionId: 'race', text: 'x', idempotencyKey: 'same' })));
    const runIds = new Set(results.map((r) => (r.ok ? r.data.runId : 'error')));
    expect(runIds.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.data.duplicate)).toHaveLength(1);
  });

  it('the guard window expires (fake timers)', () => {
    vi.useFakeTimers();
    const runs = new RunRegistry({ idempotencyWindowMs: 60_000 });
    const first = runs.create({ sessionId: 's', trigger: 'chat', idempotencyKey: 'k' });
    vi.advanceTimersByTime(59_999);
    expect(runs.create({ sessionId: 's', trigger: 'chat', idempotencyKey: 'k' })).toMatchObject({ duplicate: true, run: { runId: first.run.runId } });
    expect(runs.create({ sessionId: 'other', trigger: 'chat', idempotencyKey: 'k' }).duplicate).toBe(false);
    vi.advanceTimersByTime(1);
    const later = runs.create({ sessionId: 's', trigger: 'chat', idempotencyKey: 'k' });
    expect(later.duplicate).toBe(false);
    expect(later.run.runId).not.toBe(first.run.runId);
  });

  it('internal cleanup follows a terminal run after cleanup.delay, and keeps the run answerable', () => {
    vi.useFakeTimers();
    const runs = new RunRegistry({ idempotencyWindowMs: 60_000 });
    const cleaned: string[] = [];
    runs.cleanupDelayMs = 5_000;
    const { run } = runs.create({ sessionId: 's', trigger: 'chat', idempotencyKey: 'k', scopedSocketId: 'sock' });
    runs.afterCleanup(run, () => cleaned.push(run.runId));
    runs.markRunning(run);
    runs.finish(run, 'completed');
    expect(run.status).toBe('completed');
    vi.advanceTimersByTime(4_999);
    expect(cleaned).toEqual([]);
    expect(runs.isScoped(run.runId, 'sock')).toBe(true);
    vi.advanceTimersByTime(1);
    expect(cleaned).toEqual([run.runId]);
    expect(runs.isScoped(run.runId, 'sock')).toBe(false);
    expect(runs.getInSession('s', run.runId)?.status).toBe('completed');
    runs.finish(run, 'failed');
    expect(run.status).toBe('completed');
    runs.close();
  });

  it('logs message, run.start, chunks, tool phases, stream.end, response, run.end in that order', async () => {
    const gw = await h.start({ agent: fastDemo() });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'order' });
    await c.request('chat.send', { sessionId: 'order', text: 'one two three', idempotencyKey: 'o' });
    await c.rec.untilEvent('order', (f) => f.event.type === 'run.end');
    const types = c.rec.frames('order').map((f) => f.event.type);
    expect(types.slice(0, 2)).toEqual(['message', 'run.start']);
    expect(types.slice(-3)).toEqual(['stream.end', 'response', 'run.end']);
    const end = c.rec.frames('order').find((f) => f.event.type === 'stream.end')!.event as { text: string };
    const chunks = c.rec
      .frames('order')
      .filter((f) => f.event.type === 'stream.chunk')
      .map((f) => (f.event as { text: string }).text);
    expect(chunks.join('')).toBe(end.text);
    expect(end.text).toContain('3 words');
  });

  it('the demo agent is deterministic', async () => {
    const run = async () => {
      const agent = fastDemo();
      const out = [];
      for await (const o of agent.run({
        sessionId: 's',
        runId: 'r1',
        trigger: 'chat',
        text: 'same input',
        history: [{ role: 'user', text: 'same input' }],
        signal: new AbortController().signal,
      }))
        out.push(o);
      return out;
    };
    expect(await run()).toEqual(await run());
  });
});

describe('chat.abort (R4.3)', () => {
  it('aborts a running run; a finished run answers aborted: false; an unknown run is RUN_NOT_FOUND', async () => {
    const gw = await h.start({ agent: createDemoAgent({ chunkDelayMs: 20, toolDelayMs: 20 }) });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'ab' });
    const sent = await c.request('chat.send', { sessionId: 'ab', text: 'please abort me', idempotencyKey: 'a1' });
    if (!sent.ok) throw new Error();
    await c.rec.untilEvent('ab', (f) => f.event.type === 'stream.chunk');
    const aborted = await c.request('chat.abort', { sessionId: 'ab', runId: sent.data.runId });
    expect(aborted).toEqual({ ok: true, data: { sessionId: 'ab', runId: sent.data.runId, aborted: true, status: 'aborted' } });
    await c.rec.untilEvent('ab', (f) => f.event.type === 'run.end');
    const end = c.rec.frames('ab').find((f) => f.event.type === 'run.end')!.event;
    expect(end).toMatchObject({ status: 'aborted' });
    expect(c.rec.frames('ab').some((f) => f.event.type === 'response')).toBe(false);
    const again = await c.request('chat.abort', { sessionId: 'ab', runId: sent.data.runId });
    expect(again).toEqual({ ok: true, data: { sessionId: 'ab', runId: sent.data.runId, aborted: false, status: 'aborted' } });
    expect(await c.request('chat.abort', { sessionId: 'ab', runId: 'run-missing' })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
    expect(await c.request('chat.abort', { sessionId: 'other', runId: sent.data.runId })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
  });

  it('a completed run answers aborted: false with status completed; a queued run is aborted before it starts', async () => {
    const gw = await h.start({ controlToken: CONTROL, agent: fastDemo() });
    const c = await h.client(gw, { controlToken: CONTROL });
    await c.request('join', { sessionId: 'q' });
    const held = await c.request('control', { type: 'run.script', sessionId: 'q', steps: [{ type: 'hold', gate: 'g' }] });
    const queued = await c.request('chat.send', { sessionId: 'q', text: 'waiting', idempotencyKey: 'w' });
    if (!held.ok || !queued.ok) throw new Error();
    expect(queued.data.status).toBe('queued');
    expect(await c.request('chat.abort', { sessionId: 'q', runId: queued.data.runId })).toMatchObject({ ok: true, data: { aborted: true, status: 'aborted' } });
    await c.request('control', { type: 'run.release', sessionId: 'q', gate: 'g' });
    await c.rec.untilEvent('q', (f) => f.event.type === 'run.end' && f.event.runId === held.data.runId);
    expect(await c.request('chat.abort', { sessionId: 'q', runId: held.data.runId! })).toMatchObject({
      ok: true,
      data: { aborted: false, status: 'completed' },
    });
    const ends = c.rec
      .frames('q')
      .filter((f) => f.event.type === 'run.end')
      .map((f) => f.event as { runId: string; status: string });
    expect(ends).toEqual(expect.arrayContaining([expect.objectContaining({ runId: queued.data.runId, status: 'aborted' })]));
    expect(c.rec.frames('q').some((f) => f.event.type === 'run.start' && f.event.runId === queued.data.runId)).toBe(false);
  });

  it('a run that ends while a tool call is open closes the call with a terminal error phase, for the starter and for mirrors', async () => {
    const gw = await h.start({ controlToken: CONTROL, heartbeat: { enabled: false } });
    const c = await h.client(gw, { controlToken: CONTROL });
    const mirror = await h.client(gw);
    await c.request('join', { sessionId: 'open-tool' });
    await mirror.request('join', { sessionId: 'open-tool' });
    const run = await c.request('control', {
      type: 'run.script',
      sessionId: 'open-tool',
      steps: [
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'start' },
        { type: 'tool', toolCallId: 'c2', toolName: 'fetch', phase: 'start' },
        { type: 'tool', toolCallId: 'c2', toolName: 'fetch', phase: 'result', output: 1 },
        { type: 'hold', gate: 'never' },
      ],
    });
    if (!run.ok) throw new Error('run.script refused');
    await mirror.rec.untilEvent('open-tool', (f) => f.event.type === 'tool' && f.event.phase === 'result');
    expect(await c.request('chat.abort', { sessionId: 'open-tool', runId: run.data.runId! })).toMatchObject({ ok: true, data: { aborted: true } });
    for (const client of [c, mirror]) {
      await client.rec.untilEvent('open-tool', (f) => f.event.type === 'run.end');
      const events = client.rec.frames('open-tool').map((f) => f.event);
      const closing = events.filter((e) => e.type === 'tool' && e.toolCallId === 'c1');
      expect(closing.map((e) => (e as { phase: string }).phase)).toEqual(['start', 'error']);
      expect(closing[1]).toMatchObject({ error: { code: 'RUN_ABORTED' } });
      expect(events.filter((e) => e.type === 'tool' && e.toolCallId === 'c2').map((e) => (e as { phase: string }).phase)).toEqual(['start', 'result']);
      expect(events.findIndex((e) => e === closing[1])).toBeLessThan(events.findIndex((e) => e.type === 'run.end'));
    }
  });

  it('a failing agent ends the run failed with an error event', async () => {
    const broken: Agent = {
      name: 'broken',
      // eslint-disable-next-line require-yield
      async *run() {
        throw new Error('model unavailable');
      },
    };
    const gw = await h.start({ agent: broken });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'f' });
    await c.request('chat.send', { sessionId: 'f', text: 'x', idempotencyKey: 'f' });
    await c.rec.untilEvent('f', (f) => f.event.type === 'run.end');
    const types = c.rec.frames('f').map((f) => f.event.type);
    expect(types).toEqual(['message', 'run.start', 'error', 'run.end']);
    expect(c.rec.frames('f').at(-1)!.event).toMatchObject({ status: 'failed', error: { code: 'AGENT_FAILED' } });
  });
});

describe('sessions.list and sessions.changed (R4.1, R4.2)', () => {
  it('rows carry status and an explicit hasActiveRun; every change is broadcast with a growing revision', async () => {
    const gw = await h.start({ controlToken: CONTROL, agent: fastDemo() });
    const c = await h.client(gw, { controlToken: CONTROL });
    const watcher = await h.client(gw);
    // The watcher follows the session list; it neither joined nor started anything.
    expect(await watcher.request('sessions.subscribe', { enabled: true })).toMatchObject({ ok: true });
    const started = await c.request('control', { type: 'run.script', sessionId: 'rows', steps: [{ type: 'hold', gate: 'g' }] });
    if (!started.ok) throw new Error();
    await watcher.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.start');
    const during = await watcher.request('sessions.list', {});
    expect(during).toMatchObject({
      ok: true,
      data: { sessions: [{ sessionId: 'rows', status: 'running', hasActiveRun: true, activeRunId: started.data.runId }] },
    });
    await c.request('control', { type: 'run.release', sessionId: 'rows', gate: 'g' });
    const endPacket = await watcher.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    const after = await watcher.request('sessions.list', {});
    expect(after).toMatchObject({
      ok: true,
      data: { sessions: [{ sessionId: 'rows', status: 'completed', hasActiveRun: false, activeRunId: null, lastRunId: started.data.runId }] },
    });
    expect((endPacket.args[0] as SessionsChanged).row).toMatchObject({ status: 'completed', hasActiveRun: false });
    const changes = watcher.rec.packets.filter((p) => p.event === 'sessions.changed').map((p) => p.args[0] as SessionsChanged);
    expect(changes.map((c) => c.reason)).toEqual(['created', 'run.queued', 'run.start', 'run.end']);
    const revisions = changes.map((c) => c.row.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(new Set(revisions).size).toBe(revisions.length);
  });

  it('sessions.list honours limit and orders by most recent update', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const c = await h.client(gw, { controlToken: CONTROL });
    for (const id of ['a', 'b', 'c']) await c.request('join', { sessionId: id });
    const list = await c.request('sessions.list', { limit: 2 });
    if (!list.ok) throw new Error();
    expect(list.data.sessions).toHaveLength(2);
    expect(list.data.sessions.every((r) => r.status === 'idle' && r.hasActiveRun === false)).toBe(true);
  });
});

describe('mirror routing and the pluggable mirror policy (R2.1, R3.2)', () => {
  it('suppressed mirrors are announced as skipped on the next frame, never silent', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    internalsOf(gw).fanout.setMirrorPolicy((ctx) => (ctx.terminal ? 'deliver' : 'suppress'));
    const admin = await h.client(gw, { controlToken: CONTROL });
    const watcher = await h.client(gw);
    await watcher.request('join', { sessionId: 'mirror' });
    await admin.request('control', {
      type: 'run.script',
      sessionId: 'mirror',
      steps: [
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'start' },
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'update', progress: 1 },
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'result', output: 'ok' },
      ],
    });
    await watcher.rec.untilEvent('mirror', (f) => f.event.type === 'run.end');
    const frames = watcher.rec.frames('mirror') as Array<EventFrame & { channel: string }>;
    const tools = frames.filter((f) => f.event.type === 'tool');
    expect(tools).toHaveLength(1);
    expect(tools[0]).toMatchObject({
      channel: 'session.tool',
      event: { phase: 'result' },
      skipped: { fromSeq: tools[0]!.seq - 2, toSeq: tools[0]!.seq - 1, reason: 'suppressed' },
    });
    expect(internalsOf(gw).fanout.counters.mirrorsSuppressed).toBe(2);
  });
});
