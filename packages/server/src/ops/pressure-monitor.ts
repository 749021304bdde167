import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { PressureState } from '@agent-gateway/schema';

/** How much work the gateway has right now; read on every sample. */
export interface WorkloadSnapshot {
  /** Turns executing in lanes. */
  active: number;
  /** Turns waiting behind another turn in their lane. */
  waiting: number;
  /** All queued work (waiting turns plus anything else scheduled but not started). */
  queued: number;
}

export interface PressureMonitorOptions {
  /** Length of one back-off window; extended by this much on every pressured sample. Default 60 s. */
  backoffMs?: number;
  /** How often the event-loop delay histogram is read and reset. Default 1 s. */
  sampleIntervalMs?: number;
  /** p99 event-loop delay above which the loop counts as saturated. Default 200 ms. */
  delayThresholdMs?: number;
  /** Current workload; pressure needs queued work, a slow loop with nothing queued is not pressure. */
  queuedWork?: () => WorkloadSnapshot;
  /** Replaces the perf_hooks histogram (tests); returns the p99 delay of the window in ms. */
  sampleDelayMs?: () => number;
  now?: () => number;
  /** Called when the back-off window opens or closes. */
  onBackoffChange?: (active: boolean) => void;
}

export interface PressureMonitor {
  start(): void;
  /** Stops sampling and clears any open back-off window. */
  stop(): void;
  readonly running: boolean;
  /**
   * Take one sample now (the interval timer does this too, adding its own lateness). Returns whether
   * the gateway was pressured.
   */
  sample(): boolean;
  /** Control surface: report pressure with queued work regardless of measurements (true) or measure for real again (false). */
  simulate(on: boolean, backoffMs?: number): void;
  readonly simulated: boolean;
  /**
   * Control surface: one pressured moment. Opens (or extends) the back-off window to last at least
   * `backoffMs` from now; nothing renews it, so it expires by itself as after a real spike.
   */
  pulse(backoffMs: number): void;
  isBackoffActive(): boolean;
  recordMirror(decision: 'deliver' | 'suppress'): void;
  state(): PressureState;
}

const NS_PER_MS = 1_000_000;

export function createPressureMonitor(options: PressureMonitorOptions = {}): PressureMonitor {
  const sampleIntervalMs = options.sampleIntervalMs ?? 1_000;
  const delayThresholdMs = options.delayThresholdMs ?? 200;
  const now = options.now ?? Date.now;
  const queuedWork = options.queuedWork ?? (() => ({ active: 0, waiting: 0, queued: 0 }));
  const backoffMs = options.backoffMs ?? 60_000;
  /** Window length while pressure is simulated (control pressure.set may choose its own). */
  let simulatedBackoffMs = backoffMs;

  let histogram: IntervalHistogram | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let simulated = false;
  let lastDelayMs = 0;
  let backoffUntil: number | null = null;
  let lastTickAt = 0;
  let lastReportedActive = false;
  let mirrorsSuppressed = 0;
  let mirrorsDelivered = 0;

  const readDelayMs = (): number => {
    if (options.sampleDelayMs) return options.sampleDelayMs();
    if (!histogram) return 0;
    // The histogram reports nanoseconds; an empty window reports NaN-ish huge minima, guard with count.
    const p99 = histogram.count > 0 ? histogram.percentile(99) / NS_PER_MS : 0;
    histogram.reset();
    return p99;
  };

  const notifyIfChanged = () => {
    const active = isBackoffActive();
    if (active !== lastReportedActive) {
      lastReportedActive = active;
      options.onBackoffChange?.(active);
    }
  };

  function isBackoffActive(): boolean {
    if (backoffUntil === null) return false;
    if (now() < backoffUntil) return true;
    // The window ran out: forget it so state() reports null again.
    backoffUntil = null;
    return false;
  }

  function openWindow(): void {
    const until = now() + (simulated ? simulatedBackoffMs : backoffMs);
    backoffUntil = backoffUntil === null ? until : Math.max(backoffUntil, until);
  }

  function sample(extraDelayMs = 0): boolean {
    // Resetting the histogram also forgets its previous tick, so a stall that ends right before a
    // reset is never recorded by it; the sampling timer's own lateness covers exactly that case.
    lastDelayMs = Math.max(readDelayMs(), extraDelayMs);
    const work = queuedWork();
    const pressured = simulated || (lastDelayMs > delayThresholdMs && work.queued > 0);
    // Extending on every pressured sample keeps the window open while the pressure lasts.
    if (pressured) openWindow();
    notifyIfChanged();
    return pressured;
  }

  return {
    start() {
      if (running) return;
      running = true;
      if (!options.sampleDelayMs) {
        histogram = monitorEventLoopDelay({ resolution: 10 });
        histogram.enable();
      }
      lastTickAt = performance.now();
      timer = setInterval(() => {
        const at = performance.now();
        const lateness = options.sampleDelayMs ? 0 : Math.max(0, at - lastTickAt - sampleIntervalMs);
        lastTickAt = at;
        sample(lateness);
      }, sampleIntervalMs);
      // Monitoring must never keep a process alive on its own.
      timer.unref();
    },
    stop() {
      running = false;
      if (timer) clearInterval(timer);
      timer = undefined;
      histogram?.disable();
      histogram = undefined;
      simulated = false;
      // A back-off window only means something while pressure is measured.
      backoffUntil = null;
      notifyIfChanged();
    },
    get running() {
      return running;
    },
    sample: () => sample(),
    simulate(on, windowMs) {
      simulatedBackoffMs = windowMs ?? backoffMs;
      simulated = on;
      if (on) openWindow();
      // Ending a simulation closes its window at once, so a suite does not wait out 60 s.
      else backoffUntil = null;
      notifyIfChanged();
    },
    get simulated() {
      return simulated;
    },
    pulse(windowMs) {
      const until = now() + windowMs;
      backoffUntil = backoffUntil === null ? until : Math.max(backoffUntil, until);
      notifyIfChanged();
    },
    isBackoffActive,
    recordMirror(decision) {
      if (decision === 'deliver') mirrorsDelivered++;
      else mirrorsSuppressed++;
    },
    state() {
      const work = queuedWork();
      const active = isBackoffActive();
      return {
        active: work.active,
        waiting: work.waiting,
        // A simulation reports what it stands for: pressure with queued work.
        queued: simulated ? Math.max(1, work.queued) : work.queued,
        eventLoopDelayMs: Math.max(0, Number.isFinite(lastDelayMs) ? lastDelayMs : 0),
        backoffActive: active,
        backoffUntil: active ? backoffUntil : null,
        mirrorsSuppressed,
        mirrorsDelivered,
      };
    },
  };
}
