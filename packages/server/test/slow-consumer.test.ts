import type { ToolEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { assertGapless, createHarness } from './helpers/wire.js';

/*
 * A real slow consumer: one mirror client stops reading its TCP socket while a run floods the
 * session with large stream chunks, so the gateway's buffers for it fill up. Its non-terminal tool
 * mirrors are dropped (announced as suppressed); its terminal one is not; a client that keeps up
 * gets everything.
 */
describe('slow consumer', () => {
  const h = createHarness();
  afterEach(() => h.closeAll());

  it('drops only non-terminal mirrors for a socket whose buffer is over the bound', async () => {
    // The flood itself can saturate the loop: pressure monitoring is off so only the buffer bound decides.
    // The disconnect bound is set above the flood (whose stream.end and response carry all 24 MB of
    // text again): this case is about the mirrors withheld below that bound.
    const gw = await h.start({
      controlToken: 'ctl',
      heartbeat: { enabled: false },
      pressure: { enabled: false, slowConsumerBytes: 64 * 1024 },
      delivery: { maxPendingBytes: 256 * 1024 * 1024 },
    });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    const fast = await h.client(gw);
    const slow = await h.client(gw);
    for (const c of [fast, slow]) expect((await c.request('join', { sessionId: 'flood' })).ok).toBe(true);

    // Stop reading on the slow client's TCP socket.
    const engine = slow.socket.io.engine as unknown as { transport: { ws?: { _socket?: { pause(): void; resume(): void } } } };
    const tcp = engine.transport.ws?._socket;
    if (!tcp) throw new Error('no underlying TCP socket on the websocket transport');
    tcp.pause();

    const update = (pct: number) => ({ type: 'tool' as const, toolCallId: 'big', toolName: 'fetch', phase: 'update' as const, progress: { pct } });
    const script = await driver.request('control', {
      type: 'run.script',
      sessionId: 'flood',
      steps: [
        { type: 'tool', toolCallId: 'big', toolName: 'fetch', phase: 'start' },
        // More than loopback TCP buffers absorb (they autotune to several MB each side).
        { type: 'chunks', count: 6_000, text: 'x'.repeat(4_000) },
        // The fast client drains everything before the updates, so only the slow one is over the bound.
        { type: 'hold', gate: 'drained' },
        ...[20, 40, 60, 80, 100].map(update),
        { type: 'tool', toolCallId: 'big', toolName: 'fetch', phase: 'end' },
      ],
    });
    if (!script.ok) throw new Error('run.script failed');
    // The stream rolls over into several messages (each ends with stream.end): wait for the end of the last one.
    const chunksAt = (c: typeof fast) => c.rec.frames('flood').filter((f) => f.event.type === 'stream.chunk').length;
    await fast.rec.untilEvent('flood', (f) => f.event.type === 'stream.end' && chunksAt(fast) === 6_000, { timeoutMs: 30_000 });
    await driver.request('control', { type: 'run.release', sessionId: 'flood', gate: 'drained' });
    await fast.rec.untilEvent('flood', (f) => f.event.type === 'run.end', { timeoutMs: 30_000 });
    tcp.resume();
    await slow.rec.untilEvent('flood', (f) => f.event.type === 'run.end', { timeoutMs: 30_000 });

    const phases = (frames: ReturnType<typeof fast.rec.frames>) => frames.filter((f) => f.event.type === 'tool').map((f) => (f.event as ToolEvent).phase);
    expect(phases(fast.rec.frames('flood'))).toEqual(['start', 'update', 'update', 'update', 'update', 'update', 'end']);
    const slowPhases = phases(slow.rec.frames('flood'));
    expect(slowPhases.at(-1)).toBe('end');
    expect(slowPhases.filter((p) => p === 'update').length).toBeLessThan(5);
    const slowFrames = slow.rec.frames('flood');
    assertGapless(slowFrames, 0);
    expect(slowFrames.some((f) => f.skipped?.reason === 'suppressed')).toBe(true);
    console.info(`[slow consumer] mirror phases at the slow client: ${slowPhases.join(',')}; at the fast client: all 7`);
  }, 60_000);
});
