import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionRow } from '@agent-gateway/schema';
import { ActiveRunProjection, finishRun } from '../src/active-run-projection.js';

describe('active-run projection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(100);
  });
  afterEach(() => vi.useRealTimers());

  it('walks a run through queued, running and a terminal state with increasing revisions', () => {
    const p = new ActiveRunProjection();
    expect(p.ensure('s').created).toBe(true);
    expect(p.runQueued('s', 'r1')).toMatchObject({ status: 'queued', hasActiveRun: true, activeRunId: 'r1', revision: 1 });
    expect(p.runStarted('s', 'r1')).toMatchObject({ status: 'running', hasActiveRun: true, activeRunId: 'r1', revision: 2 });
    expect(p.runEnded('s', 'r1', 'completed')).toMatchObject({ status: 'completed', hasActiveRun: false, activeRunId: null, lastRunId: 'r1', revision: 3 });
  });

  it('shows the next queued run when one finishes behind it', () => {
    const p = new ActiveRunProjection();
    p.runQueued('s', 'r1');
    p.runStarted('s', 'r1');
    p.runQueued('s', 'r2');
    expect(p.get('s')).toMatchObject({ status: 'running', activeRunId: 'r1' });
    expect(p.runEnded('s', 'r1', 'completed')).toMatchObject({ status: 'queued', hasActiveRun: true, activeRunId: 'r2', lastRunId: 'r1' });
  });

  const scenario = (faults?: { reviveActiveRunAfterTerminal?: boolean }) => {
    const p = new ActiveRunProjection();
    p.runQueued('s', 'r1');
    p.runStarted('s', 'r1');
    const order: string[] = [];
    const listsAfterBroadcast: SessionRow[] = [];
    const done = finishRun({
      projection: p,
      sessionId: 's',
      runId: 'r1',
      status: 'completed',
      appendRunEnd: () => order.push(`append:${p.get('s')!.hasActiveRun}`),
      broadcastChanged: (row) => {
        order.push(`broadcast:${row.hasActiveRun}`);
        // What a client that lists the moment it sees the broadcast would get.
        listsAfterBroadcast.push(p.list()[0]!);
      },
      cleanup: () => order.push('cleanup'),
      cleanupDelayMs: 5_000,
      faults,
    });
    return { p, order, listsAfterBroadcast, done };
  };

  it('clears the projection before run.end and the broadcast; slow cleanup never revives it', async () => {
    const { p, order, listsAfterBroadcast, done } = scenario();
    expect(order).toEqual(['append:false', 'broadcast:false']);
    expect(listsAfterBroadcast[0]).toMatchObject({ status: 'completed', hasActiveRun: false, activeRunId: null });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(p.get('s')).toMatchObject({ hasActiveRun: false });
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(order).toEqual(['append:false', 'broadcast:false', 'cleanup']);
    expect(p.get('s')).toMatchObject({ status: 'completed', hasActiveRun: false });
  });

  it('fault reviveActiveRunAfterTerminal lists the finished run active until cleanup', async () => {
    const { p, listsAfterBroadcast, done } = scenario({ reviveActiveRunAfterTerminal: true });
    expect(listsAfterBroadcast[0]).toMatchObject({ hasActiveRun: true, activeRunId: 'r1' });
    await vi.advanceTimersByTimeAsync(5_000);
    await done;
    expect(p.get('s')).toMatchObject({ hasActiveRun: false });
  });
});
