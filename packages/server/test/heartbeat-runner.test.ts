import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeatRunner, type HeartbeatLane, type HeartbeatOutcome, type HeartbeatRunner, type QueuedSystemEvent } from '../src/ops/heartbeat-runner.js';
import { mutants } from '../src/testing/index.js';

class FakeLane implements HeartbeatLane {
  busy = new Set<string>();
  aborted: string[] = [];
  turns: string[] = [];
  /** When set, heartbeat turns stay open until released (to test the in-flight limit). */
  holdTurns = false;
  #release: Array<() => void> = [];
  #runs = 0;
  isBusy(sessionId: string) {
    return this.busy.has(sessionId);
  }
  async runHeartbeatTurn(sessionId: string, work: (runId: string) => Promise<void> | void) {
    const runId = `hb-${++this.#runs}`;
    this.turns.push(sessionId);
    await work(runId);
    if (this.holdTurns) await new Promise<void>((r) => this.#release.push(r));
  }
  abortActive(sessionId: string) {
    this.aborted.push(sessionId);
    this.busy.delete(sessionId);
  }
  releaseTurns() {
    for (const r of this.#release.splice(0)) r();
  }
}

describe('heartbeat runner', () => {
  let lane: FakeLane;
  let outcomes: HeartbeatOutcome[];
  let delivered: Array<{ sessionId: string; runId: string; event: QueuedSystemEvent }>;
  let runner: HeartbeatRunner | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    lane = new FakeLane();
    outcomes = [];
    delivered = [];
  });
  afterEach(() => {
    runner?.stop();
    runner = undefined;
    vi.useRealTimers();
  });

  const make = (extra: Partial<Parameters<typeof createHeartbeatRunner>[0]> = {}) => {
    runner = createHeartbeatRunner({
      lane,
      intervalMs: 1_000,
      retryBaseMs: 100,
      retryMaxMs: 800,
      onOutcome: (o) => {
        outcomes.push(o);
      },
      onSystemEvent: (sessionId, runId, event) => {
        delivered.push({ sessionId, runId, event });
      },
      ...extra,
    });
    return runner;
  };
  const of = (sessionId: string) => outcomes.filter((o) => o.sessionId === sessionId);

  it('runs each idle session on its interval, in its lane', async () => {
    const r = make();
    for (const id of ['a', 'b', 'c']) r.addSession(id);
    await vi.advanceTimersByTimeAsync(3_000);
    for (const id of ['a', 'b', 'c']) {
      expect(of(id).map((o) => [o.status, o.trigger, o.at])).toEqual([
        ['ran', 'interval', 1_000],
        ['ran', 'interval', 2_000],
        ['ran', 'interval', 3_000],
      ]);
    }
    expect(lane.turns).toHaveLength(9);
    expect(r.counters()).toMatchObject({ ran: 9, skippedSessionBusy: 0 });
  });

  it('skips a busy session with session-busy, retries it alone with exponential back-off, and never touches its run', async () => {
    const r = make({ intervalMs: 10_000 });
    r.addSession('busy');
    r.addSession('idle');
    lane.busy.add('busy');
    r.enqueueSystemEvent('busy', { kind: 'exec.finished', text: 'build done' });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 800);
    const skips = of('busy');
    expect(skips.map((o) => [o.status, o.reason, o.trigger, o.retryInMs, o.at])).toEqual([
      ['skipped', 'session-busy', 'system-event', 100, 0],
      ['skipped', 'session-busy', 'retry', 200, 100],
      ['skipped', 'session-busy', 'retry', 400, 300],
      ['skipped', 'session-busy', 'retry', 800, 700],
      ['skipped', 'session-busy', 'retry', 800, 1_500],
      ['skipped', 'session-busy', 'retry', 800, 2_300],
    ]);
    // Nothing consumed while skipped, nothing aborted, no delivery yet.
    expect(skips.every((o) => o.pendingSystemEvents === 1)).toBe(true);
    expect(r.pendingSystemEvents('busy')).toBe(1);
    expect(delivered).toEqual([]);
    expect(lane.aborted).toEqual([]);
    // The idle session is untouched by the busy one's retries.
    expect(of('idle')).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000 - 2_300);
    expect(of('idle').map((o) => [o.status, o.at])).toEqual([['ran', 10_000]]);

    // The run ends: the lane tells the runner, the events go out in a heartbeat turn at once.
    lane.busy.delete('busy');
    r.notifyLaneIdle('busy');
    await vi.advanceTimersByTimeAsync(0);
    const ran = of('busy').filter((o) => o.status === 'ran');
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ trigger: 'retry', pendingSystemEvents: 0 });
    expect(delivered).toEqual([{ sessionId: 'busy', runId: ran[0]!.runId, event: expect.objectContaining({ kind: 'exec.finished', text: 'build done' }) }]);
    expect(r.pendingSystemEvents('busy')).toBe(0);
    const busySkips = of('busy').filter((o) => o.status === 'skipped');
    // Six skips up to 2.3 s, then one every 800 ms (the cap) until 9.5 s; the interval tick at 10 s
    // is folded into the pending retry.
    expect(busySkips).toHaveLength(6 + 9);
    expect(busySkips.every((o) => o.reason === 'session-busy')).toBe(true);
    expect(r.counters()).toMatchObject({ skippedSessionBusy: 15, skippedRequestsInFlight: 0 });
  });

  it('delivers queued system events on the next retry after the lane went idle', async () => {
    const r = make({ intervalMs: 0 });
    lane.busy.add('s');
    r.enqueueSystemEvent('s', { kind: 'k', text: '1' });
    r.enqueueSystemEvent('s', { kind: 'k', text: '2' });
    await vi.advanceTimersByTimeAsync(0);
    expect(of('s')).toHaveLength(1); // the second enqueue waits for the pending retry
    lane.busy.delete('s');
    await vi.advanceTimersByTimeAsync(100);
    expect(delivered.map((d) => d.event.text)).toEqual(['1', '2']);
    expect(of('s').map((o) => o.status)).toEqual(['skipped', 'ran']);
  });

  it('wakes an idle session immediately when a system event is queued', async () => {
    const r = make({ intervalMs: 60_000 });
    r.enqueueSystemEvent('s', { kind: 'k', text: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(of('s').map((o) => [o.status, o.trigger])).toEqual([['ran', 'system-event']]);
    expect(delivered).toHaveLength(1);
  });

  it('reports requests-in-flight when the gateway-wide heartbeat limit is reached', async () => {
    const r = make({ intervalMs: 0, maxInFlight: 1 });
    lane.holdTurns = true;
    void r.trigger('a');
    await vi.advanceTimersByTimeAsync(0);
    const second = await r.trigger('b');
    expect(second).toMatchObject({ status: 'skipped', reason: 'requests-in-flight', retryInMs: 100 });
    lane.releaseTurns();
    await vi.advanceTimersByTimeAsync(100);
    expect(of('b').map((o) => o.status)).toEqual(['skipped', 'ran']);
    expect(r.counters()).toMatchObject({ skippedRequestsInFlight: 1 });
  });

  it('the heartbeatInterruptsBusyLane rule aborts the active run and consumes the queue', async () => {
    const r = make({ intervalMs: 0, rule: mutants.heartbeatInterruptsBusyLane.pieces.heartbeatRule });
    lane.busy.add('s');
    r.enqueueSystemEvent('s', { kind: 'k', text: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(lane.aborted).toEqual(['s']);
    expect(of('s').map((o) => o.status)).toEqual(['ran']);
  });

  it('the heartbeatGlobalSkipReason rule reports a busy lane as requests-in-flight', async () => {
    const r = make({ intervalMs: 0, rule: mutants.heartbeatGlobalSkipReason.pieces.heartbeatRule });
    lane.busy.add('s');
    const outcome = await r.trigger('s');
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'requests-in-flight' });
  });

  it('stops all timers', async () => {
    const r = make();
    r.addSession('a');
    r.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(outcomes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
