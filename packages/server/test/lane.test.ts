import { afterEach, describe, expect, it } from 'vitest';
import { delay } from '../src/index.js';
import { Outbox } from '../src/delivery/index.js';
import { Lane, type LaneTurn } from '../src/runs/index.js';
import { SerialQueue } from '../src/sessions/index.js';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

function turn(id: string, log: string[], work: (signal: AbortSignal) => Promise<void> = () => Promise.resolve()): LaneTurn {
  return {
    id,
    kind: 'run',
    execute: async (signal) => {
      log.push(`start ${id}`);
      await work(signal);
      log.push(`end ${id}`);
    },
    cancelled: () => log.push(`cancelled ${id}`),
  };
}

describe('Lane', () => {
  it('runs turns one at a time in order and reports busy/idle', async () => {
    const log: string[] = [];
    let idle!: () => void;
    const idled = new Promise<void>((resolve) => (idle = resolve));
    const lane = new Lane('s', { idle });
    lane.enqueue(turn('a', log, () => delay(5)));
    lane.enqueue(turn('b', log));
    expect(lane.isBusy()).toBe(true);
    expect(lane.active?.id).toBe('a');
    await idled;
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(lane.isBusy()).toBe(false);
  });

  it('aborts only the active turn it is asked to, and cancels queued ones', async () => {
    const log: string[] = [];
    const lane = new Lane('s');
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    lane.enqueue(turn('a', log, (signal) => delay(10_000, signal).catch(() => void log.push('a saw abort'))));
    lane.enqueue(turn('b', log));
    lane.enqueue({ ...turn('c', log), execute: async () => finished() });
    expect(lane.abortActive('b')).toBe(false);
    expect(lane.cancelQueued('b')).toBe(true);
    expect(lane.abortActive('a')).toBe(true);
    await done;
    expect(log).toEqual(['start a', 'cancelled b', 'a saw abort', 'end a']);
  });

  it('hold occupies the lane until released', async () => {
    const log: string[] = [];
    const lane = new Lane('s');
    const release = lane.hold('h1');
    let ran!: () => void;
    const after = new Promise<void>((resolve) => (ran = resolve));
    lane.enqueue({ ...turn('a', log), execute: async () => ran() });
    await delay(5);
    expect(lane.isBusy()).toBe(true);
    expect(lane.active?.kind).toBe('hold');
    release();
    await after;
  });
});

describe('SerialQueue', () => {
  it('never overlaps tasks and survives failures', async () => {
    const q = new SerialQueue();
    const log: number[] = [];
    const tasks = [1, 2, 3].map((n) =>
      q.run(async () => {
        log.push(n);
        await delay(1);
        log.push(-n);
        if (n === 2) throw new Error('two');
      }),
    );
    await expect(tasks[1]).rejects.toThrow('two');
    await tasks[2];
    expect(log).toEqual([1, -1, 2, -2, 3, -3]);
  });
});

describe('Outbox batching (R2.1)', () => {
  it('packs frames of the same tick into one emit, in order, up to 512 per batch, and keeps acks in place', async () => {
    const gw = await h.start({ controlToken: 'ctl' });
    const admin = await h.client(gw, { controlToken: 'ctl' });
    const c = await h.client(gw);
    await c.request('join', { sessionId: 'batch' });
    await admin.request('control', {
      type: 'session.append',
      sessionId: 'batch',
      events: Array.from({ length: 1200 }, (_, i) => ({ type: 'message' as const, messageId: `m${i}`, role: 'user' as const, text: 't', at: 1 })),
    });
    await c.rec.untilSeq('batch', 1200);
    const batches = c.rec.packets.filter((p) => p.event === 'session.event').map((p) => (p.args[0] as Array<{ seq: number }>).map((f) => f.seq));
    expect(batches.map((b) => b.length)).toEqual([512, 512, 176]);
    expect(batches.flat()).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  });

  it('a reserved answer slot holds back what was queued after it', async () => {
    const gw = await h.start();
    const c = await h.client(gw);
    const socket = [...gw.io.sockets.sockets.values()][0]!;
    const outbox = new Outbox(socket, { maxFramesPerBatch: 512, maxPendingBytes: 1 << 20, lowWaterBytes: 1 << 18 });
    const slot = outbox.reserve();
    outbox.emit('protocol.error', { error: { code: 'INTERNAL', message: 'after' } });
    await delay(20);
    expect(c.rec.packets.filter((p) => p.event === 'protocol.error')).toHaveLength(0);
    slot.fill(() => outbox.emit('protocol.error', { error: { code: 'INTERNAL', message: 'late' } }), undefined);
    await c.rec.waitFor(() => c.rec.packets.filter((p) => p.event === 'protocol.error').length === 2);
    expect(c.rec.packets.filter((p) => p.event === 'protocol.error').map((p) => (p.args[0] as { error: { message: string } }).error.message)).toEqual([
      'after',
      'late',
    ]);
  });
});
