import type { Diagnostics, Snapshot } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

const CONTROL = 'control-secret';

describe('snapshots rebuild a view from nothing (R2.7)', () => {
  it('carries state, messages, the active run with its streamed text and tools, and the retained durable events', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const admin = await h.client(gw, { controlToken: CONTROL });
    await admin.request('control', {
      type: 'session.append',
      sessionId: 'snap',
      events: [
        { type: 'message', messageId: 'u1', role: 'user', text: 'first question', at: 10 },
        { type: 'response', runId: 'run-old', messageId: 'a1', text: 'first answer', at: 11 },
      ],
    });
    const watcher = await h.client(gw);
    await watcher.request('join', { sessionId: 'snap' });
    const started = await admin.request('control', {
      type: 'run.script',
      sessionId: 'snap',
      steps: [
        { type: 'chunks', count: 3, text: 'ab' },
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'start', input: { q: 'x' } },
        { type: 'tool', toolCallId: 'c1', toolName: 'search', phase: 'update', progress: 0.5 },
        { type: 'hold', gate: 'g' },
      ],
    });
    if (!started.ok) throw new Error();
    await watcher.rec.untilEvent('snap', (f) => f.event.type === 'tool' && f.event.phase === 'update');

    const c = await h.client(gw);
    const joined = await c.request('join', { sessionId: 'snap' });
    if (!joined.ok) throw new Error();
    const snapshot = (await c.rec.event('snapshot')).args[0] as Snapshot;
    expect(snapshot.eventCursor).toBe(joined.data.cursor);
    expect(snapshot.state).toMatchObject({ status: 'running', hasActiveRun: true });
    expect(snapshot.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'first question'],
      ['assistant', 'first answer'],
    ]);
    expect(snapshot.activeRun).toMatchObject({
      runId: started.data.runId,
      status: 'running',
      text: 'ababab',
      tools: [{ toolCallId: 'c1', toolName: 'search', phase: 'update', input: { q: 'x' } }],
    });
    expect(snapshot.events.every((e) => e.event.type !== 'stream.chunk')).toBe(true);
    expect(snapshot.events.map((e) => e.event.type)).toEqual(['message', 'response', 'run.start', 'stream.end', 'tool']);

    // Live frames continue from eventCursor + 1 after the snapshot.
    await admin.request('control', { type: 'run.release', sessionId: 'snap', gate: 'g' });
    await c.rec.untilEvent('snap', (f) => f.event.type === 'run.end');
    expect(c.rec.frames('snap')[0]!.seq).toBe(snapshot.eventCursor + 1);
  });

  it('joined sockets see a recreated log under its new epoch from seq 1', async () => {
    const gw = await h.start({ controlToken: CONTROL });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const c = await h.client(gw);
    const joined = await c.request('join', { sessionId: 're' });
    await admin.request('control', { type: 'session.append', sessionId: 're', events: [{ type: 'message', messageId: 'a', role: 'user', text: 'a', at: 1 }] });
    const recreated = await admin.request('control', { type: 'session.recreate', sessionId: 're' });
    await admin.request('control', { type: 'session.append', sessionId: 're', events: [{ type: 'message', messageId: 'b', role: 'user', text: 'b', at: 2 }] });
    if (!joined.ok || !recreated.ok) throw new Error();
    await c.rec.untilEvent('re', (f) => f.epoch === recreated.data.epoch);
    expect(c.rec.frames('re').map((f) => [f.epoch === joined.data.epoch ? 'old' : 'new', f.seq])).toEqual([
      ['old', 1],
      ['new', 1],
    ]);
  });
});

describe('leave and diagnostics', () => {
  it('leave stops frames; diagnostics.get and diagnostics.subscribe answer', async () => {
    const gw = await h.start({ controlToken: CONTROL, diagnosticsIntervalMs: 20 });
    const admin = await h.client(gw, { controlToken: CONTROL });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'lv' });
    expect(await c.request('leave', { sessionId: 'lv' })).toEqual({ ok: true, data: { sessionId: 'lv', left: true } });
    expect(await c.request('leave', { sessionId: 'lv' })).toEqual({ ok: true, data: { sessionId: 'lv', left: false } });
    await admin.request('control', { type: 'session.append', sessionId: 'lv', events: [{ type: 'message', messageId: 'a', role: 'user', text: 'a', at: 1 }] });
    const diag = await c.request('diagnostics.get', {});
    expect(diag).toMatchObject({ ok: true, data: { connections: 2, sessions: 1, resyncs: 1 } });
    expect(await c.request('diagnostics.subscribe', { enabled: true })).toEqual({ ok: true, data: { enabled: true, intervalMs: 20 } });
    const periodic = (await c.rec.event('diagnostics')).args[0] as Diagnostics;
    expect(periodic.pressure).toMatchObject({ backoffActive: false });
    expect(c.rec.frames('lv')).toHaveLength(0);
  });
});
