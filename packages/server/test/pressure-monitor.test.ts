import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPressureMonitor, type PressureMonitor, type WorkloadSnapshot } from '../src/ops/pressure-monitor.js';

describe('pressure monitor', () => {
  let monitor: PressureMonitor | undefined;
  let delayMs = 0;
  let work: WorkloadSnapshot = { active: 0, waiting: 0, queued: 0 };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    delayMs = 0;
    work = { active: 0, waiting: 0, queued: 0 };
  });
  afterEach(() => {
    monitor?.stop();
    monitor = undefined;
    vi.useRealTimers();
  });

  const make = (backoffMs = 60_000) => {
    monitor = createPressureMonitor({ backoffMs, sampleIntervalMs: 1_000, delayThresholdMs: 100, sampleDelayMs: () => delayMs, queuedWork: () => work });
    monitor.start();
    return monitor;
  };

  it('opens the back-off window only for delay over the threshold together with queued work', () => {
    const m = make();
    delayMs = 500;
    vi.advanceTimersByTime(1_000);
    expect(m.isBackoffActive()).toBe(false); // slow loop, nothing queued
    delayMs = 50;
    work = { active: 1, waiting: 0, queued: 3 };
    vi.advanceTimersByTime(1_000);
    expect(m.isBackoffActive()).toBe(false); // queued work, healthy loop
    delayMs = 500;
    vi.advanceTimersByTime(1_000);
    expect(m.isBackoffActive()).toBe(true);
    expect(m.state()).toMatchObject({ backoffActive: true, backoffUntil: 1_003_000 + 60_000, active: 1, queued: 3, eventLoopDelayMs: 500 });
  });

  it('keeps the window open while pressure lasts and closes it after the last pressured sample plus the window', () => {
    const m = make(5_000);
    delayMs = 500;
    work = { active: 1, waiting: 2, queued: 3 };
    vi.advanceTimersByTime(1_000); // opens until 6_000 after start
    vi.advanceTimersByTime(9_000); // still pressured: extended on every sample
    expect(m.isBackoffActive()).toBe(true);
    delayMs = 0; // pressure gone at t=10s; last extension was at 10s → until 15s
    vi.advanceTimersByTime(4_999);
    expect(m.isBackoffActive()).toBe(true);
    vi.advanceTimersByTime(2);
    expect(m.isBackoffActive()).toBe(false);
    expect(m.state().backoffUntil).toBeNull();
  });

  it('clears the window when monitoring stops', () => {
    const m = make();
    delayMs = 500;
    work.queued = 1;
    vi.advanceTimersByTime(1_000);
    expect(m.isBackoffActive()).toBe(true);
    m.stop();
    expect(m.isBackoffActive()).toBe(false);
    expect(m.running).toBe(false);
  });

  it('simulates pressure for the control surface and ends it at once', () => {
    const changes: boolean[] = [];
    monitor = createPressureMonitor({ sampleDelayMs: () => 0, onBackoffChange: (a) => changes.push(a) });
    monitor.start();
    monitor.simulate(true, 2_000);
    expect(monitor.isBackoffActive()).toBe(true);
    expect(monitor.state()).toMatchObject({ backoffUntil: 1_002_000, backoffActive: true, queued: 1 });
    vi.advanceTimersByTime(10_000); // simulated pressure is sampled as pressure: window extended
    expect(monitor.isBackoffActive()).toBe(true);
    monitor.simulate(false);
    expect(monitor.isBackoffActive()).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('keeps the configured window for real pressure after a simulation chose its own', () => {
    const m = make(60_000);
    m.simulate(true, 2_000);
    m.simulate(false);
    delayMs = 500;
    work.queued = 1;
    vi.advanceTimersByTime(1_000);
    expect(m.state().backoffUntil).toBe(1_001_000 + 60_000);
  });

  it('counts mirror decisions', () => {
    const m = make();
    m.recordMirror('deliver');
    m.recordMirror('suppress');
    m.recordMirror('suppress');
    expect(m.state()).toMatchObject({ mirrorsDelivered: 1, mirrorsSuppressed: 2 });
  });

  it('measures real event-loop delay through perf_hooks', async () => {
    vi.useRealTimers();
    monitor = createPressureMonitor({ sampleIntervalMs: 60_000, delayThresholdMs: 20, queuedWork: () => ({ active: 1, waiting: 0, queued: 1 }) });
    monitor.start();
    // Let the histogram observe a few turns, then block the loop for ~80 ms.
    await new Promise((r) => setTimeout(r, 25));
    const end = Date.now() + 80;
    while (Date.now() < end) {
      /* block the event loop on purpose */
    }
    await new Promise((r) => setTimeout(r, 30));
    const pressured = monitor.sample();
    expect(pressured).toBe(true);
    expect(monitor.state().eventLoopDelayMs).toBeGreaterThan(20);
    expect(monitor.isBackoffActive()).toBe(true);
  });

  it('catches a stall that ends right before a sample, through the sampling timer itself', async () => {
    vi.useRealTimers();
    monitor = createPressureMonitor({ sampleIntervalMs: 20, delayThresholdMs: 50, queuedWork: () => ({ active: 1, waiting: 0, queued: 1 }) });
    monitor.start();
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 30));
      const end = Date.now() + 120;
      while (Date.now() < end) {
        /* block the event loop on purpose */
      }
    }
    await new Promise((r) => setTimeout(r, 40));
    expect(monitor.isBackoffActive()).toBe(true);
  });
});
