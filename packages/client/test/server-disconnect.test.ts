import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WireError } from '@agent-gateway/schema';
import { ServerDisconnects } from '../src/server-disconnect.js';

describe('ServerDisconnects', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reconnects after a server-side disconnect, backing off while the gateway keeps sending the client away', () => {
    let reconnects = 0;
    const disconnects = new ServerDisconnects({ baseDelayMs: 200, maxDelayMs: 2000, reconnect: () => reconnects++ });
    const delays: number[] = [];
    for (let kick = 0; kick < 6; kick++) {
      disconnects.connected();
      disconnects.disconnected('io server disconnect');
      const before = Date.now();
      const seen = reconnects;
      while (reconnects === seen) vi.advanceTimersByTime(50);
      delays.push(Date.now() - before);
    }
    expect(delays).toEqual([200, 400, 800, 1600, 2000, 2000]);
    // A connection that lived a while starts the count again.
    disconnects.connected();
    vi.advanceTimersByTime(10_001);
    disconnects.disconnected('io server disconnect');
    vi.advanceTimersByTime(199);
    expect(reconnects).toBe(6);
    vi.advanceTimersByTime(1);
    expect(reconnects).toBe(7);
  });

  it('leaves other disconnects to Socket.IO, and reports a stated SLOW_CONSUMER as the reason', () => {
    let reconnects = 0;
    const disconnects = new ServerDisconnects({ baseDelayMs: 200, maxDelayMs: 2000, reconnect: () => reconnects++ });
    disconnects.connected();
    expect(disconnects.disconnected('transport close')).toEqual({ reason: 'transport close' });
    vi.advanceTimersByTime(5000);
    expect(reconnects).toBe(0);

    disconnects.connected();
    const notStating = { code: 'INVALID_MESSAGE', message: 'bad' } as WireError;
    expect(disconnects.announce(notStating)).toBe(false);
    const slow = { code: 'SLOW_CONSUMER', message: 'pending output passed 1048576 bytes' } as unknown as WireError;
    expect(disconnects.announce(slow)).toBe(true);
    const { reason, error } = disconnects.disconnected('io server disconnect');
    expect(reason).toBe('SLOW_CONSUMER');
    expect(error).toMatchObject({ code: 'DISCONNECTED', wireError: slow });
    vi.advanceTimersByTime(200);
    expect(reconnects).toBe(1);
    // The stated reason belongs to that disconnect only.
    disconnects.connected();
    expect(disconnects.disconnected('io server disconnect').reason).toBe('io server disconnect');
  });
});
