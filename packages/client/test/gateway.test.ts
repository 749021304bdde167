import { describe, expect, it, vi } from 'vitest';
import type { EventFrame } from '@agent-gateway/schema';
import type { GatewayClient } from '../src/index.js';
import { chunksSeen, expectedText, nextEvent, readReply, harnessPerTest, turnMessage, type Harness, type TurnSpec } from './helpers.js';

const startHarness = harnessPerTest();
let harness: Harness | undefined;

/**
 * Run the frame batches the client receives through `rewrite`, as a lossy or repeating network
 * between gateway and client would (test-only: wraps the socket's packet dispatch).
 */
function interceptFrames(client: GatewayClient, rewrite: (event: string, batch: EventFrame[], deliver: (batch: EventFrame[]) => void) => void): () => void {
  const socket = client.socket as unknown as { onevent: (packet: { data: unknown[] }) => void };
  const original = socket.onevent;
  socket.onevent = function (this: unknown, packet: { data: unknown[] }) {
    const [event, payload] = packet.data as [string, EventFrame[]];
    if (event === 'session.event' || event === 'session.tool') {
      rewrite(event, payload, (batch) => original.call(this, { ...packet, data: [event, batch] }));
      return;
    }
    original.call(this, packet);
  };
  return () => {
    socket.onevent = original;
  };
}

describe('client against the reference gateway', () => {
  it('streams a reply, with tool cards, and ends with the final response', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const turn: TurnSpec = { chunks: 12, toolAt: 5 };
    const sent = await client.send('chat-1', turnMessage(turn));
    expect(sent.duplicate).toBe(false);
    const result = await readReply(sent.reply);
    expect(result).toMatchObject({ text: expectedText(turn), status: 'completed' });
    const cards = client.tools.cards('chat-1', sent.runId);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ toolName: 'lookup', phase: 'result', closed: true, sawStart: true, output: { found: 5 } });
    expect(
      client
        .conversation('chat-1')
        .list()
        .map((m) => m.role),
    ).toEqual(['user', 'assistant']);
    expect(client.stats.gapsDetected).toBe(0);
  });

  it('survives many server-side disconnects mid-stream by replay: no text lost or repeated', async () => {
    harness = await startHarness();
    const client = await harness.client();
    // The last chunk waits for a gate, so the run cannot finish before every cut has happened.
    const turn: TurnSpec = { chunks: 300, delayMs: 2, holdAt: 299, gate: 'last' };
    let resumed = 0;
    let chunks = 0;
    client.on('resumed', () => resumed++);
    client.on('frame', ({ event }) => {
      if (event.type === 'stream.chunk') chunks++;
    });
    const firstChunks = chunksSeen(client, 'reconnect-1', 5);
    const sent = await client.send('reconnect-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    await firstChunks;
    const cuts = 8;
    for (let i = 0; i < cuts; i++) {
      const back = nextEvent(client, 'resumed');
      // Alternate a server-side disconnect (the client must reconnect by itself) and a transport drop.
      if (i % 2 === 0) harness.serverSocket(client).disconnect(true);
      else harness.serverSocket(client).conn.close();
      await back;
      // Let a couple of live chunks through before the next cut, unless the run already waits at its gate.
      const beforeGate = 299 - chunks;
      if (beforeGate > 0) await chunksSeen(client, 'reconnect-1', Math.min(2, beforeGate));
    }
    expect(sent.reply.ended).toBeUndefined();
    harness.agent.open('last');
    const result = await reading;
    expect(result.status).toBe('completed');
    expect(result.text).toBe(expectedText(turn));
    expect(resumed).toBe(cuts);
    expect(client.stats.resyncs).toBe(0);
    expect(client.stats.gapsDetected).toBe(0);
    expect(client.stats.reconnects).toBe(cuts);
  });

  it('resumes by snapshot when its cursor is too old, continuing the reply without duplicating it', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const turn: TurnSpec = { chunks: 20, holdAt: 10, gate: 'g1' };
    const tenChunks = chunksSeen(client, 'snap-1', 10);
    const sent = await client.send('snap-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    await tenChunks;
    // Go offline, make the gateway forget what we saw, come back.
    client.socket.disconnect();
    const observer = await harness.client();
    const note = (n: number) => ({ type: 'message' as const, messageId: `note-${n}`, role: 'system' as const, text: `note ${n}`, at: Date.now() });
    await harness.control({ type: 'session.append', sessionId: 'snap-1', events: [note(1), note(2)] });
    const head = (await observer.join('snap-1')) && observer.position('snap-1')!.seq;
    await harness.control({ type: 'session.trim', sessionId: 'snap-1', oldestCursor: head });
    const resync = nextEvent(client, 'resync');
    client.socket.connect();
    const { reason, snapshot } = await resync;
    expect(reason).toBe('since-too-old');
    expect(snapshot.activeRun?.runId).toBe(sent.runId);
    harness.agent.open('g1');
    const result = await reading;
    expect(result).toMatchObject({ text: expectedText(turn), status: 'completed' });
  });

  it('resyncs with epoch-mismatch after the log is recreated', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const sent = await client.send('epoch-1', turnMessage({ chunks: 3 }));
    await sent.reply.finished();
    const before = client.position('epoch-1')!;
    client.socket.disconnect();
    await harness.control({ type: 'session.recreate', sessionId: 'epoch-1' });
    const resync = nextEvent(client, 'resync');
    client.socket.connect();
    const { reason, snapshot } = await resync;
    expect(reason).toBe('epoch-mismatch');
    expect(snapshot.epoch).not.toBe(before.epoch);
    expect(client.position('epoch-1')).toEqual({ epoch: snapshot.epoch, seq: snapshot.eventCursor });
  });

  it('drops duplicated frames', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('dup-1');
    interceptFrames(client, (_event, batch, emit) => {
      emit(batch);
      emit(batch);
    });
    const turn: TurnSpec = { chunks: 30, toolAt: 3 };
    const sent = await client.send('dup-1', turnMessage(turn));
    const result = await readReply(sent.reply);
    expect(result.text).toBe(expectedText(turn));
    expect(client.stats.duplicatesDropped).toBeGreaterThan(30);
    expect(client.stats.gapsDetected).toBe(0);
    expect(client.tools.cards('dup-1', sent.runId)).toHaveLength(1);
  });

  it('detects a withheld frame as a gap and rebuilds from a snapshot', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('gap-1');
    let batches = 0;
    let withheld: number | undefined;
    const restore = interceptFrames(client, (_event, batch, emit) => {
      batches++;
      if (batches === 4 && withheld === undefined) {
        // Withhold the first frame of this batch: the client must notice the hole.
        withheld = batch[0]!.seq;
        if (batch.length > 1) emit(batch.slice(1));
        return;
      }
      emit(batch);
    });
    const gap = nextEvent(client, 'gap');
    const resync = nextEvent(client, 'resync');
    const turn: TurnSpec = { chunks: 40, delayMs: 1 };
    const sent = await client.send('gap-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    const seenGap = await gap;
    expect(seenGap.expectedSeq).toBe(withheld);
    restore();
    expect((await resync).reason).toBe('gap');
    const result = await reading;
    expect(result).toMatchObject({ text: expectedText(turn), status: 'completed' });
  });

  it('detects a gap opened by a raw frame from beyond the head (control append + raw emit)', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('gap-2');
    const note = (n: number) => ({ type: 'message' as const, messageId: `m-${n}`, role: 'user' as const, text: `m ${n}`, at: Date.now() });
    const appended = nextEvent(client, 'frame', ({ event }) => event.type === 'message' && event.messageId === 'm-2');
    await harness.control({ type: 'session.append', sessionId: 'gap-2', events: [note(1), note(2)] });
    await appended;
    const position = client.position('gap-2')!;
    const gap = nextEvent(client, 'gap');
    const resync = nextEvent(client, 'resync');
    // A frame three seqs past the cursor, without a skipped range: seqs were lost.
    harness.serverSocket(client).emit('session.event', [{ sessionId: 'gap-2', epoch: position.epoch, seq: position.seq + 3, event: note(9) }]);
    expect(await gap).toMatchObject({ expectedSeq: position.seq + 1, receivedSeq: position.seq + 3, epochChanged: false });
    const { reason, snapshot } = await resync;
    expect(reason).toBe('gap');
    expect(snapshot.eventCursor).toBe(position.seq);
    expect(
      client
        .conversation('gap-2')
        .list()
        .map((m) => m.messageId),
    ).toEqual(['m-1', 'm-2']);
  });

  it('resumes across compacted chunks: the replay announces them and the reply is still whole', async () => {
    harness = await startHarness({ retention: { maxEvents: 1000, maxNonDurableEvents: 8 } });
    const client = await harness.client();
    const observer = await harness.client();
    await observer.join('compact-1');
    const turn: TurnSpec = { chunks: 60, holdAt: 5, gate: 'go' };
    const firstChunks = chunksSeen(client, 'compact-1', 5);
    const sent = await client.send('compact-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    await firstChunks;
    client.socket.disconnect();
    harness.agent.open('go');
    await observer.reply('compact-1', sent.runId).finished();
    const skippedRanges: string[] = [];
    const resumed = nextEvent(client, 'resumed');
    const socket = client.socket as unknown as { onevent: (packet: { data: unknown[] }) => void };
    const original = socket.onevent;
    socket.onevent = function (this: unknown, packet: { data: unknown[] }) {
      const [event, batch] = packet.data as [string, EventFrame[]];
      if (event === 'replay') for (const frame of batch) if (frame.skipped) skippedRanges.push(frame.skipped.reason);
      original.call(this, packet);
    };
    client.socket.connect();
    await resumed;
    expect(skippedRanges).toContain('compacted');
    expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
    expect(client.stats.gapsDetected).toBe(0);
    expect(client.stats.resyncs).toBe(0);
  });

  it('finishes a reply from the snapshot when the run ended while the client was away', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const observer = await harness.client();
    await observer.join('away-1');
    const turn: TurnSpec = { chunks: 30, holdAt: 4, gate: 'go', toolAt: 10 };
    const firstChunks = chunksSeen(client, 'away-1', 4);
    const sent = await client.send('away-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    await firstChunks;
    client.socket.disconnect();
    harness.agent.open('go');
    await observer.reply('away-1', sent.runId).finished();
    // Forget just enough that the client's cursor is too old, keeping the later durable events.
    const away = client.position('away-1')!.seq;
    await harness.control({ type: 'session.trim', sessionId: 'away-1', oldestCursor: away + 3 });
    const resync = nextEvent(client, 'resync');
    client.socket.connect();
    const { reason, snapshot } = await resync;
    expect(reason).toBe('since-too-old');
    expect(snapshot.activeRun).toBeNull();
    expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
    // The tool call finished while we were away: its card is closed, not left spinning.
    const cards = client.tools.cards('away-1', sent.runId);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ toolName: 'lookup', phase: 'result', closed: true, sawStart: false });
  });

  it('reuses the idempotency key when the answer to chat.send is lost: one run only', async () => {
    harness = await startHarness();
    const h = harness;
    let intercepted = false;
    const firstAnswer: { runId?: string } = {};
    h.gateway.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'chat.send' && !intercepted && typeof packet[2] === 'function') {
          intercepted = true;
          // The gateway runs the request, but its answer never reaches the client: the connection drops.
          packet[2] = (result: { ok: boolean; data?: { runId: string } }) => {
            firstAnswer.runId = result.data?.runId;
            socket.disconnect(true);
          };
        }
        next();
      });
    });
    const client = await h.client();
    const runStarts: string[] = [];
    client.on('frame', ({ event }) => {
      if (event.type === 'run.start') runStarts.push(event.runId);
    });
    const sent = await client.send('idem-1', turnMessage({ chunks: 5, delayMs: 2 }));
    expect(intercepted).toBe(true);
    expect(sent.duplicate).toBe(true);
    expect(sent.runId).toBe(firstAnswer.runId);
    const result = await readReply(sent.reply);
    expect(result.text).toBe(expectedText({ chunks: 5 }));
    expect(new Set(runStarts)).toEqual(new Set([sent.runId]));
    const sessions = await client.listSessions();
    expect(sessions.find((s) => s.sessionId === 'idem-1')?.lastRunId).toBe(sent.runId);
  });

  it('a repeat of an already finished message from a new client answers with the original run and its reply', async () => {
    harness = await startHarness();
    const first = await harness.client();
    const original = await first.send('repeat-1', turnMessage({ chunks: 4 }), { idempotencyKey: 'reload-key-1' });
    const originalReply = await readReply(original.reply);
    const second = await harness.client();
    const repeat = await second.send('repeat-1', turnMessage({ chunks: 4 }), { idempotencyKey: 'reload-key-1' });
    expect(repeat).toMatchObject({ runId: original.runId, duplicate: true, status: 'completed' });
    expect(await readReply(repeat.reply)).toMatchObject({ text: originalReply.text, status: 'completed' });
  });

  it('tracks hasActiveRun through a run and never reports the finished run active', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.listSessions();
    const active = nextEvent(client, 'sessions', ({ changed }) => changed.some((r) => r.sessionId === 'active-1' && r.hasActiveRun));
    const sent = await client.send('active-1', turnMessage({ chunks: 4, holdAt: 2, gate: 'g' }));
    await active;
    expect(client.sessions.isRunActive('active-1')).toBe(true);
    const listed = await client.listSessions();
    expect(listed.find((r) => r.sessionId === 'active-1')?.hasActiveRun).toBe(true);
    const ended = nextEvent(client, 'sessions', ({ changed }) => changed.some((r) => r.sessionId === 'active-1' && r.status === 'completed'));
    harness.agent.open('g');
    await ended;
    expect(client.sessions.isRunActive('active-1')).toBe(false);
    await sent.reply.finished();
    await client.listSessions();
    expect(client.sessions.isRunActive('active-1')).toBe(false);
  });

  it('lists sessions again after a reconnect, so a completion broadcast missed while away is not lost', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.listSessions();
    const active = nextEvent(client, 'sessions', ({ changed }) => changed.some((r) => r.sessionId === 'away-list' && r.hasActiveRun));
    const sent = await client.send('away-list', turnMessage({ chunks: 3, holdAt: 1, gate: 'g' }));
    await active;
    client.socket.disconnect();
    const observer = await harness.client();
    await observer.join('away-list');
    harness.agent.open('g');
    await observer.reply('away-list', sent.runId).finished();
    expect(client.sessions.isRunActive('away-list')).toBe(true);
    const refreshed = nextEvent(client, 'sessions', ({ changed }) => changed.some((r) => r.sessionId === 'away-list' && r.status === 'completed'));
    client.socket.connect();
    await refreshed;
    expect(client.sessions.isRunActive('away-list')).toBe(false);
  });

  it('follows the list it listed: a creation storm coalesced by the gateway is listed again, an unloaded session is dropped', async () => {
    harness = await startHarness({ sessionList: { maxCreatedPerWindow: 3, windowMs: 500 }, sessions: { idleMs: 300, sweepIntervalMs: 50 } });
    const client = await harness.client();
    await client.listSessions();
    const other = await harness.client();
    const ids = Array.from({ length: 10 }, (_, i) => `storm-${i}`);
    const all = nextEvent(client, 'sessions', ({ rows }) => ids.every((id) => rows.some((r) => r.sessionId === id)));
    // Ten creations in one window: three notices, then sessions.resync (and another at the end of
    // the window for those created after it); the client lists again at each.
    for (const id of ids) await other.join(id);
    await all;
    // Left alone, the sessions are unloaded by the gateway and leave the client's list.
    await other.close();
    const gone = nextEvent(client, 'sessions', () => ids.every((id) => client.sessions.get(id) === undefined));
    await gone;
    expect(client.sessions.size).toBe(0);
  });

  it('closes tool cards from mirrors, including a terminal phase whose start it never saw', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const observer = await harness.client();
    await observer.join('tools-1');
    const sources = new Set<string>();
    observer.on('frame', ({ event, source }) => {
      if (event.type === 'tool') sources.add(source);
    });
    const sent = await sender.send('tools-1', turnMessage({ chunks: 6, toolAt: 2, loneTerminalToolAt: 4 }));
    await observer.reply('tools-1', sent.runId).finished();
    expect(sources).toEqual(new Set(['mirror']));
    const cards = observer.tools.cards('tools-1', sent.runId);
    expect(cards.map((c) => [c.toolCallId.split('-').pop(), c.phase, c.closed, c.sawStart])).toEqual([
      ['tool', 'result', true, true],
      ['lone', 'end', true, false],
    ]);
  });

  it('under pressure, mirrors lose their start/update but cards still close and suppressed seqs are not a gap', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const observer = await harness.client();
    await observer.join('pressure-1');
    const skipped: string[] = [];
    const socket = observer.socket as unknown as { onevent: (packet: { data: unknown[] }) => void };
    const original = socket.onevent;
    socket.onevent = function (this: unknown, packet: { data: unknown[] }) {
      const [event, batch] = packet.data as [string, EventFrame[]];
      if (event === 'session.event' || event === 'session.tool') for (const frame of batch) if (frame.skipped) skipped.push(frame.skipped.reason);
      original.call(this, packet);
    };
    const pressure = await harness.control({ type: 'pressure.set', simulated: true, backoffMs: 60_000 });
    expect(pressure.backoffActive).toBe(true);
    try {
      const turn: TurnSpec = { chunks: 8, toolAt: 3 };
      const sent = await sender.send('pressure-1', turnMessage(turn));
      const seenByObserver = await readReply(observer.reply('pressure-1', sent.runId));
      expect(seenByObserver).toMatchObject({ text: expectedText(turn), status: 'completed' });
      expect(skipped).toContain('suppressed');
      expect(observer.stats.gapsDetected).toBe(0);
      expect(observer.tools.cards('pressure-1', sent.runId)).toEqual([
        expect.objectContaining({ toolName: 'lookup', phase: 'result', closed: true, sawStart: false }),
      ]);
      // The run-scoped sender still saw every phase.
      expect(sender.tools.cards('pressure-1', sent.runId)).toEqual([expect.objectContaining({ phase: 'result', closed: true, sawStart: true })]);
    } finally {
      await harness.control({ type: 'pressure.set', simulated: false });
    }
  });

  it('after a reconnect, asks to be run-scoped again for its own run, so pressure cannot thin its tool phases', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const subscribed: Array<Promise<unknown>> = [];
    const socket = client.socket as unknown as { emit: (event: string, ...args: unknown[]) => unknown };
    const originalEmit = socket.emit.bind(socket);
    socket.emit = (event: string, ...args: unknown[]) => {
      if (event === 'run.subscribe') {
        const ack = args[1] as (result: unknown) => void;
        subscribed.push(new Promise((resolve) => (args[1] = (result: unknown) => (ack(result), resolve(result)))));
      }
      return originalEmit(event, ...args);
    };
    const turn: TurnSpec = { chunks: 6, holdAt: 3, gate: 'tool', toolAt: 4 };
    const firstChunks = chunksSeen(client, 'scoped-1', 3);
    const sent = await client.send('scoped-1', turnMessage(turn));
    await firstChunks;
    const back = nextEvent(client, 'resumed');
    harness.serverSocket(client).disconnect(true);
    await back;
    await vi.waitUntil(() => subscribed.length > 0);
    expect(await subscribed[0]).toMatchObject({ ok: true, data: { runId: sent.runId } });
    const sources: string[] = [];
    client.on('frame', ({ event, source }) => event.type === 'tool' && sources.push(source));
    await harness.control({ type: 'pressure.set', simulated: true, backoffMs: 60_000 });
    try {
      harness.agent.open('tool');
      expect(await readReply(sent.reply)).toMatchObject({ text: expectedText(turn), status: 'completed' });
      expect(sources).toEqual(['live', 'live', 'live']);
      expect(client.tools.cards('scoped-1', sent.runId)).toEqual([expect.objectContaining({ phase: 'result', sawStart: true, closed: true })]);
    } finally {
      await harness.control({ type: 'pressure.set', simulated: false });
    }
  });

  it('surfaces a refused connection (protocol major, token) as CONNECT_REFUSED with the wire error', async () => {
    harness = await startHarness({ token: 'right' });
    await expect(harness.client({ token: 'right', protocolVersion: '2.0' })).rejects.toMatchObject({
      code: 'CONNECT_REFUSED',
      wireError: { code: 'UNSUPPORTED_PROTOCOL_VERSION', details: { supported: { min: '1.0' } } },
    });
    await expect(harness.client({ token: 'wrong' })).rejects.toMatchObject({ code: 'CONNECT_REFUSED', wireError: { code: 'UNAUTHORIZED' } });
    const ok = await harness.client({ token: 'right' });
    expect(ok.state).toBe('connected');
  });

  it('fails a request that gets no answer with TIMEOUT', async () => {
    harness = await startHarness();
    harness.gateway.io.on('connection', (socket) => {
      // Swallow sessions.list: the gateway never answers it.
      socket.use((packet, next) => (packet[0] === 'sessions.list' ? undefined : next()));
    });
    const client = await harness.client({ requestTimeoutMs: 150 });
    await expect(client.listSessions()).rejects.toMatchObject({ code: 'TIMEOUT', event: 'sessions.list' });
    // The connection stays usable.
    expect((await client.join('timeout-1')).sessionId).toBe('timeout-1');
  });

  it('aborts a run and answers a no-op for a finished one', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const firstChunk = chunksSeen(client, 'abort-1', 1);
    const sent = await client.send('abort-1', turnMessage({ chunks: 4, holdAt: 1, gate: 'never' }));
    await firstChunk;
    const aborted = await client.abort('abort-1', sent.runId);
    expect(aborted.aborted).toBe(true);
    expect((await sent.reply.finished()).status).toBe('aborted');
    expect((await client.abort('abort-1', sent.runId)).aborted).toBe(false);
    await expect(client.abort('abort-1', 'no-such-run')).rejects.toMatchObject({ code: 'REQUEST_FAILED', wireError: { code: 'RUN_NOT_FOUND' } });
  });

  it('reports an invalid inbound frame naming the message, and drops it', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('bad-1');
    const error = nextEvent(client, 'error');
    harness.serverSocket(client).emit('session.event', [{ sessionId: 'bad-1', epoch: 'e', seq: 'one', event: { type: 'stream.chunk' } }] as never);
    const seen = await error;
    expect(seen.code).toBe('INVALID_FRAME');
    expect(seen.message).toContain('session.event');
    expect(seen.issues?.[0]?.path).toMatch(/^\/0\//);
    expect(client.stats.framesApplied).toBeGreaterThanOrEqual(0);
  });

  it('resumes from a persisted cursor in a new client (page reload)', async () => {
    harness = await startHarness();
    const { memoryCursorStore } = await import('../src/index.js');
    const store = memoryCursorStore();
    const first = await harness.client({ cursorStore: store });
    const sent = await first.send('reload-1', turnMessage({ chunks: 3 }));
    await sent.reply.finished();
    const saved = await store.load('reload-1');
    expect(saved?.seq).toBe(first.position('reload-1')?.seq);
    await first.close();
    const other = await harness.client();
    await (await other.send('reload-1', turnMessage({ chunks: 2 }))).reply.finished();
    const second = await harness.client({ cursorStore: store });
    const replayed: number[] = [];
    second.on('frame', ({ seq, source }) => source === 'replay' && replayed.push(seq));
    const joined = await second.join('reload-1');
    expect(joined.resyncRequired).toBe(false);
    expect(replayed[0]).toBe(saved!.seq + 1);
    expect(replayed[replayed.length - 1]).toBe(joined.cursor);
  });
});
