import type { SessionRow, SessionsChanged, SessionsListResult } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent } from '../src/index.js';
import { createHarness, type Client } from './helpers/wire.js';

/*
 * The seed bug: the terminal sessions.changed went out while the active-run bookkeeping still held
 * the run, so a client that listed sessions on that broadcast saw the finished run active again.
 * Here a watcher lists the moment each terminal broadcast arrives, over many runs, with cleanup
 * slowed down, and must never see the finished run active.
 */
const SESSIONS = 12;
const RUNS_PER_SESSION = 100;

interface RaceResult {
  runs: number;
  listsChecked: number;
  revived: Array<{ runId: string; row: SessionRow }>;
  elapsedMs: number;
}

async function race(driver: Client, watcher: Client, runsPerSession: number): Promise<RaceResult> {
  const ended = new Map<string, () => void>();
  // The broadcast reaches the watcher's socket, which may be before the driver's acknowledgement.
  const endedEarly = new Set<string>();
  const revived: RaceResult['revived'] = [];
  const pendingLists: Array<Promise<void>> = [];
  let listsChecked = 0;
  watcher.socket.on('sessions.changed', (change: SessionsChanged) => {
    if (change.reason !== 'run.end' || change.row.lastRunId === null) return;
    const finished = change.row.lastRunId;
    // List in the same tick the broadcast is handled: the tightest a client can race the gateway.
    pendingLists.push(
      (watcher.socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<SessionsListResult> })
        .emitWithAck('sessions.list', { limit: 1000 })
        .then((result) => {
          if (!result.ok) throw new Error('sessions.list failed');
          listsChecked += 1;
          const row = result.data.sessions.find((r) => r.sessionId === change.sessionId);
          if (!row) throw new Error(`session ${change.sessionId} missing from the list`);
          if (row.activeRunId === finished || (row.status === 'running' && row.hasActiveRun && row.lastRunId !== finished))
            revived.push({ runId: finished, row });
        }),
    );
    const waiter = ended.get(finished);
    if (waiter) waiter();
    else endedEarly.add(finished);
  });

  const started = Date.now();
  await Promise.all(
    Array.from({ length: SESSIONS }, async (_, s) => {
      const sessionId = `race-${s}`;
      for (let i = 0; i < runsPerSession; i++) {
        const script = await driver.request('control', {
          type: 'run.script',
          sessionId,
          steps: [{ type: 'tool', toolCallId: `t${i}`, toolName: 'noop', phase: 'end' }],
        });
        if (!script.ok || !script.data.runId) throw new Error(`run.script failed: ${JSON.stringify(script)}`);
        const runId = script.data.runId;
        // Resolved by the watcher's handler when the terminal broadcast for this run arrives.
        await new Promise<void>((resolve, reject) => {
          if (endedEarly.delete(runId)) return resolve();
          const timer = setTimeout(() => reject(new Error(`no terminal sessions.changed for ${runId}`)), 10_000);
          ended.set(runId, () => {
            clearTimeout(timer);
            ended.delete(runId);
            resolve();
          });
        });
      }
    }),
  );
  await Promise.all(pendingLists);
  return { runs: SESSIONS * runsPerSession, listsChecked, revived, elapsedMs: Date.now() - started };
}

describe('active-run projection and the terminal sessions.changed', () => {
  const h = createHarness();
  afterEach(() => h.closeAll());

  it('never lists a finished run as active, even with slow cleanup, over many runs', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const watcher = await h.client(gw);
    // The watcher follows the session list, as a client showing it does.
    expect(await watcher.request('sessions.subscribe', { enabled: true })).toMatchObject({ ok: true });
    expect(await driver.request('control', { type: 'cleanup.delay', ms: 250 })).toMatchObject({ ok: true });
    const result = await race(driver, watcher, RUNS_PER_SESSION);
    expect(result.listsChecked).toBe(result.runs);
    expect(result.revived).toEqual([]);
    console.info(
      `[projection] ${result.runs} runs, ${result.listsChecked} lists on the terminal broadcast, ${result.revived.length} showed the finished run active, ${result.elapsedMs} ms`,
    );
  }, 60_000);

  it('fault reviveActiveRunAfterTerminal is caught by the same race', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } }, 'reviveActiveRunAfterTerminal');
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const watcher = await h.client(gw);
    expect(await watcher.request('sessions.subscribe', { enabled: true })).toMatchObject({ ok: true });
    await driver.request('control', { type: 'cleanup.delay', ms: 250 });
    const result = await race(driver, watcher, 5);
    expect(result.revived.length).toBeGreaterThan(0);
    console.info(`[projection fault] ${result.revived.length}/${result.runs} lists showed the finished run active`);
  }, 60_000);

  it('fault reviveActiveRunAfterTerminal still lets cleanup clear the row in the end', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } }, 'reviveActiveRunAfterTerminal');
    const driver = await h.client(gw, { controlToken: 'ctl' });
    await driver.request('control', { type: 'cleanup.delay', ms: 0 });
    const script = await driver.request('control', { type: 'run.script', sessionId: 'stale', steps: [] });
    if (!script.ok || !script.data.runId) throw new Error('run.script failed');
    await driver.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    const list = await driver.request('sessions.list', {});
    expect(list).toMatchObject({
      ok: true,
      data: { sessions: [expect.objectContaining({ sessionId: 'stale', status: 'completed', hasActiveRun: false, activeRunId: null })] },
    });
  });

  it('keeps the idempotency guard through cleanup and answers an abort of a finished run as a no-op', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false }, agent: createDemoAgent({ chunkDelayMs: 0, toolDelayMs: 0 }) });
    const a = await h.client(gw, { controlToken: 'ctl' });
    await a.request('control', { type: 'cleanup.delay', ms: 0 });
    expect((await a.request('join', { sessionId: 'idem' })).ok).toBe(true);
    const first = await a.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    const again = await a.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    if (!first.ok || !again.ok) throw new Error('chat.send failed');
    expect(first.data.duplicate).toBe(false);
    expect(again.data).toMatchObject({ runId: first.data.runId, duplicate: true });
    const end = await a.rec.untilEvent('idem', (f) => f.event.type === 'run.end');
    const changed = await a.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end', { from: end.index - 5 });
    expect((changed.args[0] as SessionsChanged).row).toMatchObject({
      status: 'completed',
      hasActiveRun: false,
      activeRunId: null,
      lastRunId: first.data.runId,
    });

    // After cleanup (delay 0: it has run by the time the run.end broadcast is handled here) the
    // guard still maps the key to the run.
    const afterCleanup = await a.request('chat.send', { sessionId: 'idem', text: 'hello', idempotencyKey: 'key-1' });
    expect(afterCleanup).toMatchObject({ ok: true, data: { runId: first.data.runId, duplicate: true, status: 'completed' } });
    const abort = await a.request('chat.abort', { sessionId: 'idem', runId: first.data.runId });
    expect(abort).toMatchObject({ ok: true, data: { aborted: false, status: 'completed' } });
    expect(await a.request('chat.abort', { sessionId: 'idem', runId: 'no-such-run' })).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
    // One run only: one user message, one run.start.
    const types = a.rec.frames('idem').map((f) => f.event.type);
    expect(types.filter((t) => t === 'run.start')).toHaveLength(1);
    expect(types.filter((t) => t === 'message')).toHaveLength(1);
    const list = await a.request('sessions.list', {});
    expect(list).toMatchObject({ ok: true, data: { sessions: [expect.objectContaining({ sessionId: 'idem', status: 'completed', hasActiveRun: false })] } });
  }, 30_000);

  it('aborts a running run once and then answers no-op', async () => {
    const gw = await h.start({ controlToken: 'ctl', heartbeat: { enabled: false } });
    const a = await h.client(gw, { controlToken: 'ctl' });
    const script = await a.request('control', { type: 'run.script', sessionId: 'ab', steps: [{ type: 'hold', gate: 'never' }] });
    if (!script.ok || !script.data.runId) throw new Error('run.script failed');
    const runId = script.data.runId;
    await a.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.start');
    expect(await a.request('chat.abort', { sessionId: 'ab', runId })).toMatchObject({ ok: true, data: { aborted: true } });
    const ended = await a.rec.waitFor((p) => p.event === 'sessions.changed' && (p.args[0] as SessionsChanged).reason === 'run.end');
    expect((ended.args[0] as SessionsChanged).row).toMatchObject({ status: 'aborted', hasActiveRun: false });
    expect(await a.request('chat.abort', { sessionId: 'ab', runId })).toMatchObject({ ok: true, data: { aborted: false, status: 'aborted' } });
  });
});
