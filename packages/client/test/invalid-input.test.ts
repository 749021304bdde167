import { describe, expect, it } from 'vitest';
import type { EventFrame } from '@agent-gateway/schema';
import type { GatewayClient } from '../src/index.js';
import { expectedText, harnessPerTest, nextEvent, readReply, turnMessage, type Harness, type TurnSpec } from './helpers.js';

const startHarness = harnessPerTest();
let harness: Harness | undefined;

/**
 * Rewrite one kind of server event before the client sees it, as a broken gateway or network would
 * (test-only: wraps the socket's packet dispatch). Returns the function that stops rewriting.
 */
function rewriteEvent(client: GatewayClient, name: string, rewrite: (payload: unknown) => unknown): () => void {
  const socket = client.socket as unknown as { onevent: (packet: { data: unknown[] }) => void };
  const original = socket.onevent;
  socket.onevent = function (this: unknown, packet: { data: unknown[] }) {
    const [event, payload] = packet.data;
    original.call(this, event === name ? { ...packet, data: [event, rewrite(payload)] } : packet);
  };
  return () => {
    socket.onevent = original;
  };
}

describe('inbound frames that fail validation', () => {
  const corruptions: Array<[string, (frame: EventFrame) => unknown]> = [
    ['a frame whose event is malformed', (frame) => ({ ...frame, event: { ...frame.event, type: 'stream.chunk', text: 42 } })],
    ['a frame that does not even say its session', () => ({ garbage: true })],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`treats ${what} as a gap at its seq: the session resyncs and the reply still ends whole`, async () => {
      harness = await startHarness();
      const client = await harness.client();
      await client.join('bad-frame-1');
      let corrupted: number | undefined;
      let chunkBatches = 0;
      const restore = rewriteEvent(client, 'session.event', (payload) => {
        const batch = payload as EventFrame[];
        // Spoil one frame in the middle of the stream; the others of its batch stay valid.
        if (corrupted === undefined && batch.some((frame) => frame.event.type === 'stream.chunk') && ++chunkBatches === 5) {
          corrupted = batch[0]!.seq;
          return [corrupt(batch[0]!), ...batch.slice(1)];
        }
        return batch;
      });
      const error = nextEvent(client, 'error');
      const gap = nextEvent(client, 'gap');
      const resync = nextEvent(client, 'resync');
      const turn: TurnSpec = { chunks: 40, delayMs: 1 };
      const sent = await client.send('bad-frame-1', turnMessage(turn));
      const reading = readReply(sent.reply);
      expect(await error).toMatchObject({ code: 'INVALID_FRAME', event: 'server event "session.event"' });
      const seenGap = await gap;
      expect(seenGap).toMatchObject({ sessionId: 'bad-frame-1', expectedSeq: corrupted, invalidFrame: true, epochChanged: false });
      restore();
      expect((await resync).reason).toBe('gap');
      expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
      expect(client.stats.invalidFrames).toBe(1);
    });
  }

  it('applies the valid frames of a batch that failed validation in order before the gap', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('bad-frame-2');
    const note = (n: number) => ({ type: 'message' as const, messageId: `m-${n}`, role: 'user' as const, text: `m ${n}`, at: Date.now() });
    const position = client.position('bad-frame-2')!;
    const applied: string[] = [];
    client.on('frame', ({ event }) => event.type === 'message' && applied.push(event.messageId));
    const gap = nextEvent(client, 'gap');
    const resync = nextEvent(client, 'resync');
    const frame = (seq: number, n: number) => ({ sessionId: 'bad-frame-2', epoch: position.epoch, seq, event: note(n) });
    // Frames 1 and 2 are fine, frame 3 is not: the client keeps 1 and 2 and resyncs from there.
    harness
      .serverSocket(client)
      .emit('session.event', [frame(position.seq + 1, 1), frame(position.seq + 2, 2), { ...frame(position.seq + 3, 3), seq: -1 }] as never);
    expect(await gap).toMatchObject({ expectedSeq: position.seq + 3, invalidFrame: true });
    expect(applied).toEqual(['m-1', 'm-2']);
    expect((await resync).snapshot.sessionId).toBe('bad-frame-2');
  });
});

describe('a snapshot that fails validation', () => {
  it('rejects join() with INVALID_FRAME and reports it, builds no view, and a later join recovers', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const sent = await sender.send('bad-snapshot-1', turnMessage({ chunks: 2 }));
    await sent.reply.finished();
    const client = await harness.client();
    const restore = rewriteEvent(client, 'snapshot', (payload) => {
      const snapshot = payload as { messages: Array<Record<string, unknown>> };
      return { ...snapshot, messages: snapshot.messages.map((message) => ({ ...message, seq: 'first' })) };
    });
    const reported = nextEvent(client, 'error');
    const failure = await client.join('bad-snapshot-1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'INVALID_FRAME', event: 'snapshot' });
    expect((failure as Error).message).toContain('bad-snapshot-1');
    expect((failure as Error).message).toContain('/messages/0/seq');
    expect(await reported).toBe(failure);
    // Nothing that looks like a view: no conversation, no position, and a reply cannot pretend.
    expect(client.conversation('bad-snapshot-1').list()).toEqual([]);
    expect(client.position('bad-snapshot-1')).toBeUndefined();
    await expect(client.reply('bad-snapshot-1', sent.runId).finished()).rejects.toMatchObject({ code: 'INVALID_FRAME' });
    restore();
    const joined = await client.join('bad-snapshot-1');
    expect(joined.resyncRequired).toBe(true);
    expect(
      client
        .conversation('bad-snapshot-1')
        .list()
        .map((message) => message.role),
    ).toEqual(['user', 'assistant']);
    expect(await client.reply('bad-snapshot-1', sent.runId).finished()).toMatchObject({ status: 'completed', text: expectedText({ chunks: 2 }) });
  });
});

describe('leaving a session', () => {
  it('ends a reply still waiting there with RUN_INTERRUPTED (session-left)', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const sent = await client.send('leave-1', turnMessage({ chunks: 3, holdAt: 1, gate: 'never' }));
    const reading = readReply(sent.reply).catch((error: unknown) => error);
    await client.leave('leave-1');
    expect(await reading).toMatchObject({ code: 'RUN_INTERRUPTED', reason: 'session-left' });
    await expect(client.reply('leave-1', sent.runId).finished()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
