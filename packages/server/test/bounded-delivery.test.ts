import type { Socket } from 'node:net';
import type { EventFrame, Joined, ProtocolErrorEvent, StreamEndEvent } from '@agent-gateway/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { internalsOf } from '../src/testing/index.js';
import { assertGapless, createHarness, type Client } from './helpers/wire.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

/*
 * R6.4 over loopback: a client that stops reading (its TCP socket paused) or reads slowly while its
 * session streams. The gateway runs in its own process so its memory is its own. It must keep at
 * most its bound for that socket, cut it with a stated reason, and the client must be able to come
 * back, resume by cursor and end with the complete reply.
 */
const MAX_PENDING = 2 * 1024 * 1024;
const STREAMS = 20;
const CHUNKS_PER_STREAM = 20_000;
/** 400,000 chunk frames, about 74 MB on the wire: far more than the bound and the TCP buffers between. */
const steps = Array.from({ length: STREAMS }, () => ({ type: 'chunks' as const, count: CHUNKS_PER_STREAM, text: 'a' }));
const MB = 1024 * 1024;

type Tcp = { pause(): void; resume(): void; on(event: 'data', listener: (chunk: Buffer) => void): void };

/** Let a paused TCP socket read `bytes` per `everyMs`, then pause it again. */
function throttle(tcp: Tcp, bytes: number, everyMs: number): { stop(): void } {
  let read = 0;
  let stopped = false;
  tcp.on('data', (chunk) => {
    read += chunk.length;
    if (read >= bytes && !stopped) tcp.pause();
  });
  const timer = setInterval(() => {
    read = 0;
    tcp.resume();
  }, everyMs);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
function tcpOf(client: Client): Tcp {
  const engine = client.socket.io.engine as unknown as { transport: { ws?: { _socket?: Tcp } } };
  const tcp = engine.transport.ws?._socket;
  if (!tcp) throw new Error('no TCP socket under the websocket transport');
  return tcp;
}

describe('bounded delivery (R6.4)', () => {
  const h = createHarness();
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    await h.closeAll();
    await gateway?.close();
    gateway = undefined;
  });

  for (const reading of ['stopped', 'slow'] as const) {
    it(`a client that ${reading === 'stopped' ? 'stops reading' : 'reads slowly'} costs at most its bound, is cut with SLOW_CONSUMER, and resumes by cursor to the complete reply`, async () => {
      gateway = await startGatewayProcess({
        controlToken: 'ctl',
        heartbeat: { enabled: false },
        pressure: { enabled: false },
        // Long enough that the client reads its notice before the gateway gives up on it.
        delivery: { maxPendingBytes: MAX_PENDING, slowConsumerGraceMs: 60_000 },
        retention: { maxNonDurableEvents: 500 },
      });
      const driver = await h.client(gateway.url, { controlToken: 'ctl' });
      const driverJoin = await driver.request('join', { sessionId: 'reply' });
      expect(driverJoin.ok).toBe(true);
      const consumer = await h.client(gateway.url);
      const hello = consumer.rec.packets[0]!.args[0] as { limits: { maxPendingBytes?: number } };
      expect(hello.limits.maxPendingBytes).toBe(MAX_PENDING);
      const joined = await consumer.request('join', { sessionId: 'reply' });
      if (!joined.ok) throw new Error('join failed');
      const tcp = tcpOf(consumer);
      tcp.pause();
      // The slow reader takes in 64 KB every 100 ms (640 KB/s), below what the run streams.
      const reader = reading === 'slow' ? throttle(tcp, 64 * 1024, 100) : undefined;
      const baseline = await gateway.memory();

      const run = await driver.request('control', { type: 'run.script', sessionId: 'reply', steps });
      if (!run.ok || !run.data.runId) throw new Error('run.script failed');
      let peakHeap = baseline.heapUsed;
      const sampler = setInterval(() => void gateway?.memory().then((m) => (peakHeap = Math.max(peakHeap, m.heapUsed))), 250);
      await driver.rec.untilEvent('reply', (f) => f.event.type === 'run.end', { timeoutMs: 120_000 });
      clearInterval(sampler);
      reader?.stop();
      const afterRun = await gateway.memory();
      peakHeap = Math.max(peakHeap, afterRun.heapUsed);

      // The consumer reads again: what was already on its way, then the reason, then the close.
      tcp.resume();
      const notice = await consumer.rec.waitFor((p) => p.event === 'protocol.error', { timeoutMs: 30_000, what: 'protocol.error' });
      const error = (notice.args[0] as ProtocolErrorEvent).error;
      expect(error).toMatchObject({ code: 'SLOW_CONSUMER', retryable: true, details: { limit: 'maxPendingBytes', max: MAX_PENDING } });
      expect(error.details!.actualBytes).toBeGreaterThan(MAX_PENDING);
      await new Promise<void>((resolve) => (consumer.socket.disconnected ? resolve() : consumer.socket.once('disconnect', () => resolve())));
      // Nothing after the notice: it is the last thing the gateway said on that connection.
      expect(consumer.rec.packets.at(-1)!.event).toBe('protocol.error');
      const seen = assertGapless(consumer.rec.frames('reply'), joined.data.cursor);

      // A fresh connection resumes from the last seq it saw and finishes the reply.
      const back = await h.client(gateway.url);
      const resumed = await back.request('join', { sessionId: 'reply', since: seen, epoch: joined.data.epoch });
      if (!resumed.ok) throw new Error('resume failed');
      expect((resumed.data as Joined).resyncRequired).toBe(false);
      await back.rec.untilEvent('reply', (f) => f.event.type === 'run.end', { timeoutMs: 30_000 });
      const frames: EventFrame[] = [...consumer.rec.frames('reply'), ...back.rec.frames('reply')];
      assertGapless(back.rec.frames('reply'), seen);
      const ends = frames.filter((f) => f.event.type === 'stream.end').map((f) => f.event as StreamEndEvent);
      expect(ends).toHaveLength(STREAMS);
      expect(ends.every((e) => e.text === 'a'.repeat(CHUNKS_PER_STREAM))).toBe(true);
      const response = frames.find((f) => f.event.type === 'response')!.event as { text: string };
      expect(response.text).toBe('a'.repeat(STREAMS * CHUNKS_PER_STREAM));

      // An unbounded outbox held the whole backlog (about 70 MB here); this one held at most its bound.
      const grewBy = peakHeap - baseline.heapUsed;
      expect(grewBy).toBeLessThan(24 * MB);
      console.info(
        `[bounded delivery] ${reading} reader: cut at ${error.details!.actualBytes} pending bytes (bound ${MAX_PENDING}); gateway heap +${(grewBy / MB).toFixed(1)} MB at peak, ` +
          `rss ${(baseline.rss / MB).toFixed(0)} -> ${(afterRun.rss / MB).toFixed(0)} MB; resumed from seq ${seen} with ${back.rec.frames('reply').length} frames`,
      );
    }, 180_000);
  }

  it('a consumer that never reads again is dropped once the grace period is over', async () => {
    const gw = await h.start({
      controlToken: 'ctl',
      heartbeat: { enabled: false },
      pressure: { enabled: false },
      delivery: { maxPendingBytes: 1 * MB, slowConsumerGraceMs: 200 },
      retention: { maxNonDurableEvents: 500 },
    });
    const driver = await h.client(gw, { controlToken: 'ctl' });
    await driver.request('join', { sessionId: 'stall' });
    const consumer = await h.client(gw);
    await consumer.request('join', { sessionId: 'stall' });
    tcpOf(consumer).pause();
    // The gateway's end of the consumer's TCP connection.
    const serverSide = (gw.io.sockets.sockets.get(consumer.socket.id!)!.conn as unknown as { request: { socket: Socket } }).request.socket;
    const dropped = new Promise<void>((resolve) => serverSide.once('close', () => resolve()));
    await driver.request('control', {
      type: 'run.script',
      sessionId: 'stall',
      steps: Array.from({ length: 10 }, () => ({ type: 'chunks' as const, count: 10_000, text: 'b' })),
    });
    await driver.rec.untilEvent('stall', (f) => f.event.type === 'run.end', { timeoutMs: 60_000 });
    const core = internalsOf(gw);
    // Cut: no outbox, no membership, nothing queued for it.
    expect(core.outboxes.size).toBe(1);
    expect(core.fanout.members('stall').size).toBe(1);
    expect(core.counters.slowConsumersCut).toBe(1);
    // Dropped: the gateway closes its TCP connection without waiting for the peer to read.
    await dropped;
    expect(serverSide.destroyed).toBe(true);
  }, 90_000);
});
