import type { EventFrame, HeartbeatEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Client } from './helpers/wire.js';
import type { MutantName } from '../src/testing/index.js';

/*
 * Ten sessions: one streams a run that holds in the middle, nine are idle. Real timers, real
 * sockets: the nine must get their heartbeats on schedule, the busy one session-busy skips that
 * consume nothing, then its queued system events once the run is over, and the run completes.
 */
const INTERVAL_MS = 300;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 400;
const LATE_TOLERANCE_MS = 250;

const heartbeats = (frames: readonly EventFrame[]) =>
  frames.filter((f) => f.event.type === 'heartbeat').map((f) => ({ seq: f.seq, ...(f.event as HeartbeatEvent) }));

describe('heartbeats on busy lanes', () => {
  const h = createHarness();
  afterEach(() => h.closeAll());

  const scenario = async (mutant?: MutantName) => {
    const gw = await h.start(
      {
        controlToken: 'ctl',
        heartbeat: { intervalMs: INTERVAL_MS, retryBaseMs: RETRY_BASE_MS, retryMaxMs: RETRY_MAX_MS },
      },
      mutant,
    );
    const c: Client = await h.client(gw, { controlToken: 'ctl' });
    const ids = Array.from({ length: 10 }, (_, i) => `hb-${i}`);
    const busy = ids[0]!;
    const idle = ids.slice(1);
    const t0 = Date.now();
    for (const sessionId of ids) expect((await c.request('join', { sessionId })).ok).toBe(true);
    const script = await c.request('control', {
      type: 'run.script',
      sessionId: busy,
      steps: [
        { type: 'chunks', count: 20, text: 'tok ' },
        { type: 'hold', gate: 'finish' },
        { type: 'chunks', count: 20, text: 'tok ' },
      ],
    });
    if (!script.ok || !script.data.runId) throw new Error('run.script failed');
    const runId = script.data.runId;
    await c.rec.untilEvent(busy, (f) => f.event.type === 'run.start');
    // A background command finished twice while the session is streaming.
    await c.request('control', { type: 'system.enqueue', sessionId: busy, kind: 'exec.finished', text: 'build ok' });
    await c.request('control', { type: 'system.enqueue', sessionId: busy, kind: 'exec.finished', text: 'tests ok' });
    // Let the busy session be skipped for a while: until every idle session had five heartbeats.
    for (const sessionId of idle) {
      await c.rec.waitFor(() => heartbeats(c.rec.frames(sessionId)).filter((e) => e.status === 'ran').length >= 5, {
        timeoutMs: 15_000,
        what: `5 heartbeats of ${sessionId}`,
      });
    }
    const releasedAt = Date.now();
    await c.request('control', { type: 'run.release', sessionId: busy, gate: 'finish' });
    const runEnd = await c.rec.untilEvent(busy, (f) => f.event.type === 'run.end' && f.event.runId === runId, { timeoutMs: 10_000 });
    await c.rec.untilEvent(busy, (f) => f.event.type === 'system.event', { timeoutMs: 10_000 }).catch(() => undefined);
    const diagnostics = await c.request('diagnostics.get', {});
    return { c, busy, idle, runId, runEnd, t0, releasedAt, diagnostics };
  };

  it('keeps idle sessions on schedule, skips the busy one with session-busy, delivers its system events after the run, and never touches the run', async () => {
    const { c, busy, idle, runId, releasedAt, diagnostics } = await scenario();
    let worstLateMs = 0;
    for (const sessionId of idle) {
      const ran = heartbeats(c.rec.frames(sessionId)).filter((e) => e.status === 'ran');
      expect(ran.length).toBeGreaterThanOrEqual(5);
      for (let i = 1; i < ran.length; i++) {
        const late = ran[i]!.at - ran[i - 1]!.at - INTERVAL_MS;
        worstLateMs = Math.max(worstLateMs, late);
        expect(late).toBeLessThan(LATE_TOLERANCE_MS);
      }
      expect(heartbeats(c.rec.frames(sessionId)).every((e) => e.status === 'ran')).toBe(true);
    }

    const busyFrames = c.rec.frames(busy);
    const endIndex = busyFrames.findIndex((f) => f.event.type === 'run.end');
    const during = busyFrames.slice(0, endIndex);
    const after = busyFrames.slice(endIndex + 1);
    const skips = heartbeats(during);
    expect(skips.length).toBeGreaterThanOrEqual(3);
    expect(skips.every((e) => e.status === 'skipped' && e.reason === 'session-busy')).toBe(true);
    // Nothing consumed while skipped.
    const pending = skips.map((e) => e.pendingSystemEvents);
    expect(pending.every((n, i) => i === 0 || n >= pending[i - 1]!)).toBe(true);
    expect(pending.at(-1)).toBe(2);
    expect(during.some((f) => f.event.type === 'system.event')).toBe(false);
    // Retries back off exponentially up to the cap, for this session alone.
    const delays = skips.map((e) => e.retryInMs);
    expect(delays.slice(0, 4)).toEqual([RETRY_BASE_MS, RETRY_BASE_MS * 2, RETRY_BASE_MS * 4, RETRY_MAX_MS]);
    expect(delays.every((d) => d !== undefined && d <= RETRY_MAX_MS)).toBe(true);
    const gaps = skips.slice(1).map((e, i) => e.at - skips[i]!.at);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(delays[i]! - 5);
      expect(gap).toBeLessThan(delays[i]! + LATE_TOLERANCE_MS);
    });

    // The run completed unaborted; then one heartbeat ran in the lane and delivered both events.
    expect(busyFrames[endIndex]!.event).toMatchObject({ type: 'run.end', runId, status: 'completed' });
    const ran = heartbeats(after).filter((e) => e.status === 'ran');
    expect(ran.length).toBeGreaterThanOrEqual(1);
    const delivered = after.filter((f) => f.event.type === 'system.event').map((f) => f.event as { text: string; runId: string });
    expect(delivered.map((e) => e.text)).toEqual(['build ok', 'tests ok']);
    expect(delivered.every((e) => e.runId === ran[0]!.runId)).toBe(true);
    const deliveredAfterReleaseMs = ran[0]!.at - releasedAt;

    if (!diagnostics.ok) throw new Error('diagnostics.get failed');
    expect(diagnostics.data.heartbeats.skippedSessionBusy).toBe(skips.length);
    expect(diagnostics.data.heartbeats.skippedRequestsInFlight).toBe(0);
    console.info(
      `[heartbeats] idle sessions: ${idle.length}, worst lateness ${worstLateMs} ms over ${INTERVAL_MS} ms interval; busy session: ${skips.length} session-busy skips, ` +
        `retryInMs ${delays.join(',')}, observed gaps ${gaps.join(',')} ms; system events delivered ${deliveredAfterReleaseMs} ms after release, run ${String(busyFrames[endIndex]!.event.type === 'run.end' && (busyFrames[endIndex]!.event as { status: string }).status)}`,
    );
  }, 60_000);

  it('fault heartbeatInterruptsBusyLane aborts the streaming run', async () => {
    const { runEnd } = await scenario('heartbeatInterruptsBusyLane');
    const frame = (runEnd.args[0] as EventFrame[]).find((f) => f.event.type === 'run.end')!;
    expect(frame.event).toMatchObject({ status: 'aborted' });
  }, 60_000);

  it('fault heartbeatGlobalSkipReason reports the busy lane as requests-in-flight', async () => {
    const { c, busy } = await scenario('heartbeatGlobalSkipReason');
    const skips = heartbeats(c.rec.frames(busy)).filter((e) => e.status === 'skipped');
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.every((e) => e.reason === 'requests-in-flight')).toBe(true);
  }, 60_000);
});
