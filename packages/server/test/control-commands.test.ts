import type { Diagnostics, EventFrame, Hello, HeartbeatEvent, ToolEvent } from '@agent-gateway/schema';
import { validate } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from './helpers/wire.js';

const OUR_COMMANDS = ['pressure.set', 'lane.hold', 'lane.release', 'system.enqueue', 'heartbeat.trigger', 'cleanup.delay'];

describe('control commands, diagnostics and metrics', () => {
  const h = createHarness();
  afterEach(() => h.closeAll());

  it('advertises the commands in hello and refuses them without the control token', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const ctl = await h.client(gw, { controlToken: 'ctl' });
    const hello = (await ctl.rec.event('hello')).args[0] as Hello;
    expect(hello.control.commands).toEqual(expect.arrayContaining(OUR_COMMANDS));
    const plain = await h.client(gw);
    for (const command of [
      { type: 'pressure.set', simulated: true },
      { type: 'lane.hold', sessionId: 's' },
      { type: 'system.enqueue', sessionId: 's', kind: 'k', text: 't' },
      { type: 'heartbeat.trigger', sessionId: 's' },
    ] as const) {
      expect(await plain.request('control', command)).toMatchObject({ ok: false, error: { code: 'CONTROL_DISABLED' } });
    }
    const diagnostics = await plain.request('diagnostics.get', {});
    expect(diagnostics).toMatchObject({ ok: true, data: { pressure: { backoffActive: false }, sessions: 0 } });
    // Invalid control input changes nothing.
    expect(await ctl.request('control', { type: 'pressure.set', simulated: 'yes' } as never)).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    expect(await plain.request('diagnostics.get', {})).toMatchObject({ ok: true, data: { pressure: { backoffActive: false } } });
  });

  it('simulated pressure suppresses non-terminal mirrors, announced as skipped, and shows in diagnostics and /metrics', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false }, diagnosticsIntervalMs: 50 });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const mirror = await h.client(gw);
    await mirror.request('join', { sessionId: 'm' });
    const sub = await mirror.request('diagnostics.subscribe', { enabled: true });
    expect(sub).toMatchObject({ ok: true, data: { enabled: true, intervalMs: 50 } });
    expect(await driver.request('control', { type: 'pressure.set', simulated: true, backoffMs: 60_000 })).toMatchObject({
      ok: true,
      data: { backoffActive: true },
    });
    const tool = (toolCallId: string, phase: ToolEvent['phase']) => ({ type: 'tool' as const, toolCallId, toolName: 'x', phase });
    const script = await driver.request('control', {
      type: 'run.script',
      sessionId: 'm',
      steps: [tool('a', 'start'), tool('a', 'update'), tool('a', 'update'), tool('a', 'result'), tool('b', 'start'), tool('b', 'end')],
    });
    if (!script.ok) throw new Error('run.script failed');
    await mirror.rec.untilEvent('m', (f) => f.event.type === 'run.end');
    const frames = mirror.rec.frames('m');
    const tools = frames.filter((f) => f.event.type === 'tool').map((f) => (f.event as ToolEvent).phase);
    expect(tools).toEqual(['result', 'end']);
    const announced = frames.filter((f) => f.skipped).map((f) => f.skipped);
    expect(announced).toEqual([
      { fromSeq: expect.any(Number), toSeq: expect.any(Number), reason: 'suppressed' },
      { fromSeq: expect.any(Number), toSeq: expect.any(Number), reason: 'suppressed' },
    ]);
    const event = await mirror.rec.waitFor((p) => p.event === 'diagnostics' && (p.args[0] as Diagnostics).pressure.mirrorsSuppressed === 4);
    const diagnostics = event.args[0] as Diagnostics;
    expect(validate('Diagnostics', diagnostics).ok).toBe(true);
    expect(diagnostics.pressure).toMatchObject({ backoffActive: true, mirrorsSuppressed: 4, mirrorsDelivered: 2 });

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('agent_gateway_backoff_active 1');
    expect(metrics).toContain('agent_gateway_mirrors_suppressed_total 4');
    expect(metrics).toContain('agent_gateway_mirrors_delivered_total 2');
    expect(metrics).toContain('agent_gateway_connected_clients 2');

    // Ending the simulation closes the window at once.
    expect(await driver.request('control', { type: 'pressure.set', simulated: false })).toMatchObject({ ok: true, data: { backoffActive: false } });
    expect(await mirror.request('diagnostics.subscribe', { enabled: false })).toMatchObject({ ok: true, data: { enabled: false } });
  });

  it('lane.hold makes heartbeat.trigger skip with session-busy; lane.release lets the queued system event through', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false, retryBaseMs: 5_000, retryMaxMs: 5_000 } });
    const c = await h.client(gw, { controlToken: 'ctl' });
    await c.request('join', { sessionId: 'held' });
    expect(await c.request('control', { type: 'lane.hold', sessionId: 'held' })).toMatchObject({ ok: true });
    expect(await c.request('control', { type: 'system.enqueue', sessionId: 'held', kind: 'exec.finished', text: 'done' })).toMatchObject({
      ok: true,
      data: { eventId: expect.any(String) },
    });
    expect(await c.request('control', { type: 'heartbeat.trigger', sessionId: 'held' })).toMatchObject({ ok: true });
    await c.rec.waitFor(() => c.rec.frames('held').filter((f) => f.event.type === 'heartbeat').length >= 2);
    const skipped = c.rec.frames('held').map((f) => f.event as HeartbeatEvent);
    expect(skipped.map((e) => [e.status, e.reason, e.trigger, e.pendingSystemEvents])).toEqual([
      ['skipped', 'session-busy', 'system-event', 1],
      ['skipped', 'session-busy', 'manual', 1],
    ]);
    // The lane turns idle on release: the pending retry runs at once, not after its 5 s delay.
    expect(await c.request('control', { type: 'lane.release', sessionId: 'held' })).toMatchObject({ ok: true });
    await c.rec.untilEvent('held', (f) => f.event.type === 'system.event', { timeoutMs: 2_000 });
    const after = c.rec
      .frames('held')
      .slice(2)
      .map((f: EventFrame) => f.event);
    expect(after).toEqual([
      expect.objectContaining({ type: 'heartbeat', status: 'ran', trigger: 'retry', pendingSystemEvents: 0 }),
      expect.objectContaining({ type: 'system.event', kind: 'exec.finished', text: 'done' }),
    ]);
    const diagnostics = await c.request('diagnostics.get', {});
    expect(diagnostics).toMatchObject({ ok: true, data: { heartbeats: { ran: 1, skippedSessionBusy: 2, skippedRequestsInFlight: 0 } } });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('agent_gateway_heartbeats_total{status="skipped",reason="session-busy"} 2');
    expect(metrics).toContain('agent_gateway_heartbeats_total{status="ran",reason="none"} 1');
  });

  it('a heartbeat turn is a run of its session: run.subscribe and chat.abort know its id, another session does not', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const c = await h.client(gw, { controlToken: 'ctl' });
    await c.request('join', { sessionId: 'beat' });
    const triggered = await c.request('control', { type: 'heartbeat.trigger', sessionId: 'beat' });
    if (!triggered.ok || !triggered.data.runId) throw new Error('heartbeat.trigger did not run a turn');
    const runId = triggered.data.runId;
    await c.rec.untilEvent('beat', (f) => f.event.type === 'heartbeat');
    expect(c.rec.frames('beat')[0]!.event).toMatchObject({ type: 'heartbeat', status: 'ran', runId });
    expect(await c.request('run.subscribe', { sessionId: 'beat', runId })).toEqual({ ok: true, data: { sessionId: 'beat', runId, status: 'completed' } });
    expect(await c.request('chat.abort', { sessionId: 'beat', runId })).toEqual({
      ok: true,
      data: { sessionId: 'beat', runId, aborted: false, status: 'completed' },
    });
    await c.request('join', { sessionId: 'other' });
    expect(await c.request('chat.abort', { sessionId: 'other', runId })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
    // No reply, so no run.start/run.end and no row change for the turn.
    expect(c.rec.frames('beat').map((f) => f.event.type)).toEqual(['heartbeat']);
    const listed = await c.request('sessions.list', {});
    expect(listed.ok && listed.data.sessions.find((r) => r.sessionId === 'beat')).toMatchObject({ status: 'idle', hasActiveRun: false, lastRunId: null });
  });

  it('pressure.pulse opens a back-off window that expires by itself; diagnostics.interval sets the period of the diagnostics event', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false }, diagnosticsIntervalMs: 60_000 });
    const c = await h.client(gw, { controlToken: 'ctl' });
    expect(await c.request('control', { type: 'diagnostics.interval', ms: 50 })).toEqual({ ok: true, data: { type: 'diagnostics.interval', intervalMs: 50 } });
    expect(await c.request('diagnostics.subscribe', { enabled: true })).toEqual({ ok: true, data: { enabled: true, intervalMs: 50 } });
    const opened = await c.request('control', { type: 'pressure.pulse', backoffMs: 300 });
    expect(opened).toEqual({ ok: true, data: { type: 'pressure.pulse', backoffActive: true } });
    const from = c.rec.packets.length;
    // Periodic diagnostics arrive every 50 ms: first with the window open, then closed once it expired.
    await c.rec.waitFor((p) => p.event === 'diagnostics' && (p.args[0] as { pressure: { backoffActive: boolean } }).pressure.backoffActive, {
      from,
      timeoutMs: 2_000,
    });
    await c.rec.waitFor((p) => p.event === 'diagnostics' && !(p.args[0] as { pressure: { backoffActive: boolean } }).pressure.backoffActive, {
      from,
      timeoutMs: 3_000,
    });
    expect(await c.request('diagnostics.get', {})).toMatchObject({ ok: true, data: { pressure: { backoffActive: false, backoffUntil: null } } });
  });

  it('a chunks step with open: true keeps the stream open across a hold: one stream, no stream.end until the script closes it', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const c = await h.client(gw, { controlToken: 'ctl' });
    const watcher = await h.client(gw);
    await watcher.request('join', { sessionId: 'mid' });
    const run = await c.request('control', {
      type: 'run.script',
      sessionId: 'mid',
      steps: [
        { type: 'chunks', count: 3, text: 'a', open: true },
        { type: 'hold', gate: 'g' },
        { type: 'chunks', count: 2, text: 'b' },
      ],
    });
    expect(run.ok).toBe(true);
    await watcher.rec.waitFor(() => watcher.rec.frames('mid').filter((f) => f.event.type === 'stream.chunk').length === 3);
    expect(watcher.rec.frames('mid').map((f) => f.event.type)).not.toContain('stream.end');
    await c.request('control', { type: 'run.release', sessionId: 'mid', gate: 'g' });
    await watcher.rec.untilEvent('mid', (f) => f.event.type === 'run.end');
    const events = watcher.rec.frames('mid').map((f) => f.event);
    const chunks = events.filter((e) => e.type === 'stream.chunk') as Array<{ streamId: string; index: number }>;
    expect(new Set(chunks.map((e) => e.streamId)).size).toBe(1);
    expect(chunks.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(events.filter((e) => e.type === 'stream.end')).toEqual([expect.objectContaining({ text: 'aaabb', chunkCount: 5 })]);
  });
});
