import type { EventFrame, ScriptStep, ToolEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { assertGapless, createHarness, type Client } from './helpers/wire.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';
import type { MutantName } from '../src/testing/index.js';

/*
 * The gateway runs in a child process and the test really saturates its event loop with a busy
 * loop. The gateway measures the delay itself (perf_hooks), opens the back-off window, and the
 * mirror client's traffic drops to terminal phases only, every gap announced.
 */
const TERMINALS = ['end', 'error', 'result'] as const;

function toolCalls(prefix: string, count: number, updates: number): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let i = 0; i < count; i++) {
    const toolCallId = `${prefix}-${i}`;
    const terminal = TERMINALS[i % TERMINALS.length]!;
    steps.push({ type: 'tool', toolCallId, toolName: 'search', phase: 'start', input: { q: toolCallId } });
    for (let u = 0; u < updates; u++) steps.push({ type: 'tool', toolCallId, toolName: 'search', phase: 'update', progress: { step: u } });
    if (terminal === 'error')
      steps.push({ type: 'tool', toolCallId, toolName: 'search', phase: 'error', error: { code: 'AGENT_FAILED', message: 'tool failed' } });
    else steps.push({ type: 'tool', toolCallId, toolName: 'search', phase: terminal, ...(terminal === 'result' ? { output: { hits: i } } : {}) });
    steps.push({ type: 'wait', ms: 5 });
  }
  return steps;
}

const toolFrames = (frames: readonly EventFrame[]) => frames.filter((f) => f.event.type === 'tool') as Array<EventFrame & { event: ToolEvent }>;
const isTerminal = (e: ToolEvent) => e.phase === 'end' || e.phase === 'error' || e.phase === 'result';

describe('tool mirrors under real event-loop pressure', () => {
  const h = createHarness();
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    await h.closeAll();
    await gateway?.close();
    gateway = undefined;
  });

  const run = async (mutant?: MutantName) => {
    gateway = await startGatewayProcess(
      {
        controlToken: 'ctl',
        // A threshold well above scheduling noise on a shared machine: only the deliberate stall counts.
        pressure: { sampleIntervalMs: 50, delayThresholdMs: 300, backoffMs: 2_000 },
        heartbeat: { enabled: false },
        diagnosticsIntervalMs: 100,
      },
      mutant,
    );
    const driver: Client = await h.client(gateway.url, { controlToken: 'ctl' });
    const mirror: Client = await h.client(gateway.url);
    const sessionId = 'pressure-1';
    expect((await driver.request('join', { sessionId })).ok).toBe(true);
    expect((await mirror.request('join', { sessionId })).ok).toBe(true);
    expect((await mirror.request('diagnostics.subscribe', { enabled: true })).ok).toBe(true);

    const PHASE = { before: 10, during: 20, after: 10 };
    const UPDATES = 3;
    const steps: ScriptStep[] = [
      ...toolCalls('before', PHASE.before, UPDATES),
      { type: 'hold', gate: 'pressure-on' },
      ...toolCalls('during', PHASE.during, UPDATES),
      { type: 'hold', gate: 'pressure-off' },
      ...toolCalls('after', PHASE.after, UPDATES),
    ];
    const script = await driver.request('control', { type: 'run.script', sessionId, steps });
    if (!script.ok || !script.data.runId) throw new Error(`run.script failed: ${JSON.stringify(script)}`);
    const runId = script.data.runId;

    // Phase 1 done: the last "before" terminal reached the mirror.
    await mirror.rec.untilEvent(sessionId, (f) => f.event.type === 'tool' && f.event.toolCallId === `before-${PHASE.before - 1}` && isTerminal(f.event));

    // Saturate the gateway's loop while its run is active (queued work): it must detect it itself.
    await gateway.block(800);
    await gateway.block(800);
    const pressured = await mirror.rec.waitFor(
      (p) => p.event === 'diagnostics' && (p.args[0] as { pressure: { backoffActive: boolean } }).pressure.backoffActive,
      {
        what: 'back-off active',
      },
    );
    const delayAtBackoff = (pressured.args[0] as { pressure: { eventLoopDelayMs: number } }).pressure.eventLoopDelayMs;

    await driver.request('control', { type: 'run.release', sessionId, gate: 'pressure-on' });
    // The run-scoped driver sees every phase, so it tells when the pressured phase is over.
    await driver.rec.untilEvent(sessionId, (f) => f.event.type === 'tool' && f.event.toolCallId === `during-${PHASE.during - 1}` && isTerminal(f.event));

    // The window closes by itself once the loop is healthy again for backoffMs.
    const relieved = await mirror.rec.waitFor(
      (p) => p.index > pressured.index && p.event === 'diagnostics' && !(p.args[0] as { pressure: { backoffActive: boolean } }).pressure.backoffActive,
      { timeoutMs: 10_000, what: 'back-off closed' },
    );
    expect(relieved).toBeDefined();
    await driver.request('control', { type: 'run.release', sessionId, gate: 'pressure-off' });
    await driver.rec.untilEvent(sessionId, (f) => f.event.type === 'run.end' && f.event.runId === runId, { timeoutMs: 10_000 });
    await mirror.rec.untilEvent(sessionId, (f) => f.event.type === 'run.end' && f.event.runId === runId, { timeoutMs: 10_000 });
    const diagnostics = await mirror.request('diagnostics.get', {});
    if (!diagnostics.ok) throw new Error('diagnostics.get failed');
    return { driver, mirror, sessionId, runId, PHASE, UPDATES, delayAtBackoff, diagnostics: diagnostics.data };
  };

  it('drops non-terminal mirrors during back-off, delivers every terminal phase and every run-scoped event, and announces every gap', async () => {
    const { driver, mirror, sessionId, PHASE, UPDATES, delayAtBackoff, diagnostics } = await run();
    const calls = PHASE.before + PHASE.during + PHASE.after;
    const perCall = UPDATES + 2;

    // Run-scoped: every phase of every call as session.event, none as a mirror.
    const scoped = toolFrames(driver.rec.frames(sessionId));
    expect(scoped).toHaveLength(calls * perCall);
    expect(scoped.every((f) => (f as { channel?: string }).channel === 'session.event')).toBe(true);

    const mirrorFrames = mirror.rec.frames(sessionId);
    const mirrors = toolFrames(mirrorFrames);
    expect(mirrors.every((f) => (f as { channel?: string }).channel === 'session.tool')).toBe(true);
    const phaseOf = (f: { event: ToolEvent }) => f.event.toolCallId.split('-')[0];
    const count = (phase: string, terminal: boolean) => mirrors.filter((f) => phaseOf(f) === phase && isTerminal(f.event) === terminal).length;

    // Terminal phases: n/n in every phase, pressure or not.
    const terminalsDelivered = mirrors.filter((f) => isTerminal(f.event)).length;
    expect(terminalsDelivered).toBe(calls);
    // Mirror traffic drops: full before and after, terminal-only during back-off.
    expect(count('before', false)).toBe(PHASE.before * (perCall - 1));
    expect(count('during', false)).toBe(0);
    expect(count('during', true)).toBe(PHASE.during);
    expect(count('after', false)).toBe(PHASE.after * (perCall - 1));
    // No unexplained gap: every withheld seq is announced as suppressed.
    assertGapless(mirrorFrames, 0);
    const suppressedAnnounced = mirrorFrames
      .filter((f) => f.skipped?.reason === 'suppressed')
      .reduce((n, f) => n + f.skipped!.toSeq - f.skipped!.fromSeq + 1, 0);
    expect(suppressedAnnounced).toBe(PHASE.during * (perCall - 1));
    expect(diagnostics.pressure).toMatchObject({ mirrorsSuppressed: PHASE.during * (perCall - 1), mirrorsDelivered: mirrors.length });

    console.info(
      `[pressure] event-loop delay at back-off ${delayAtBackoff.toFixed(0)} ms; mirror frames delivered ${mirrors.length}, suppressed ${diagnostics.pressure.mirrorsSuppressed}; ` +
        `terminal phases at mirror client ${terminalsDelivered}/${calls}; run-scoped tool events ${scoped.length}/${calls * perCall}`,
    );
  }, 60_000);

  it('fault dropTerminalMirrorsUnderPressure loses terminal phases at the mirror client', async () => {
    const { mirror, sessionId, PHASE } = await run('dropTerminalMirrorsUnderPressure');
    const mirrors = toolFrames(mirror.rec.frames(sessionId));
    const duringTerminals = mirrors.filter((f) => f.event.toolCallId.startsWith('during-') && isTerminal(f.event)).length;
    expect(duringTerminals).toBeLessThan(PHASE.during);
  }, 60_000);
});
