import { describe, expect, it } from 'vitest';
import { memoryCursorStore, type ClientError } from '../src/index.js';
import { chunksSeen, expectedText, nextEvent, readReply, harnessPerTest, turnMessage, type Harness, type TurnSpec } from './helpers.js';

const startHarness = harnessPerTest();
let harness: Harness | undefined;

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    return error as ClientError;
  }
  throw new Error('expected the reply to fail');
}

describe('reply() for runs the client did not watch', () => {
  it('finishes a run that ended before the client followed the session, from the snapshot', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const turn: TurnSpec = { chunks: 5, toolAt: 2 };
    const sent = await sender.send('late-1', turnMessage(turn));
    await sent.reply.finished();
    const late = await harness.client();
    // Asked for while the join is still in flight: the snapshot it brings answers it.
    const joining = late.join('late-1');
    const reading = readReply(late.reply('late-1', sent.runId));
    await joining;
    expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
    // Asked for once joined.
    expect(await late.reply('late-1', sent.runId).finished()).toMatchObject({ status: 'completed', text: expectedText(turn) });
    expect(late.tools.cards('late-1', sent.runId).every((card) => card.closed)).toBe(true);
  });

  it('finishes a run that started and ended while the client was disconnected (resumed by snapshot)', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.join('away-2');
    client.socket.disconnect();
    const sender = await harness.client();
    const turn: TurnSpec = { chunks: 4 };
    const sent = await sender.send('away-2', turnMessage(turn));
    await sent.reply.finished();
    const head = (await sender.join('away-2')) && sender.position('away-2')!.seq;
    await harness.control({ type: 'session.trim', sessionId: 'away-2', oldestCursor: head });
    const resync = nextEvent(client, 'resync');
    client.socket.connect();
    expect((await resync).reason).toBe('since-too-old');
    expect(await readReply(client.reply('away-2', sent.runId))).toMatchObject({ text: expectedText(turn), status: 'completed' });
  });

  it('fails with UNKNOWN_RUN for a run the session never had, and INVALID_ARGUMENT for a session not followed', async () => {
    harness = await startHarness();
    const client = await harness.client();
    const sent = await client.send('unknown-1', turnMessage({ chunks: 2 }));
    await sent.reply.finished();
    const unknown = await failure(client.reply('unknown-1', 'run-made-up-1').finished());
    expect(unknown.code).toBe('UNKNOWN_RUN');
    expect(unknown.message).toContain('run-made-up-1');
    // A run of another session is as unknown here.
    const other = await client.send('unknown-2', turnMessage({ chunks: 1 }));
    await other.reply.finished();
    expect((await failure(client.reply('unknown-1', other.runId).finished())).code).toBe('UNKNOWN_RUN');
    const stranger = await failure(client.reply('never-joined', sent.runId).finished());
    expect(stranger.code).toBe('INVALID_ARGUMENT');
  });

  it('waits for a run that another client starts right after (no false UNKNOWN_RUN)', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const observer = await harness.client();
    await observer.join('race-1');
    const turn: TurnSpec = { chunks: 3 };
    const sent = await sender.send('race-1', turnMessage(turn));
    // The observer may not have the run's first frame yet.
    expect(await readReply(observer.reply('race-1', sent.runId))).toMatchObject({ text: expectedText(turn), status: 'completed' });
  });

  it('asks the gateway when resumed from a stored cursor: a finished run ends, an unknown one fails', async () => {
    harness = await startHarness();
    const cursorStore = memoryCursorStore();
    const first = await harness.client({ cursorStore });
    const sent = await first.send('stored-1', turnMessage({ chunks: 2 }));
    await sent.reply.finished();
    await first.close();
    const reloaded = await harness.client({ cursorStore });
    const resumed = nextEvent(reloaded, 'joined');
    await reloaded.join('stored-1');
    expect((await resumed).resyncRequired).toBe(false);
    // The run ended before the stored cursor: this client holds nothing of it, the gateway does.
    expect(await reloaded.reply('stored-1', sent.runId).finished()).toMatchObject({ type: 'end', status: 'completed' });
    expect((await failure(reloaded.reply('stored-1', 'run-made-up-2').finished())).code).toBe('UNKNOWN_RUN');
  });

  it('follows a queued run that the snapshot does not show, to its end', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const first = await sender.send('queue-1', turnMessage({ chunks: 3, holdAt: 1, gate: 'q' }));
    const second = await sender.send('queue-1', turnMessage({ chunks: 2 }));
    const third = await sender.send('queue-1', turnMessage({ chunks: 4 }));
    expect([second.status, third.status]).toEqual(['queued', 'queued']);
    const observer = await harness.client();
    const snapshot = nextEvent(observer, 'snapshot');
    await observer.join('queue-1');
    expect((await snapshot).snapshot.activeRun?.runId).toBe(first.runId);
    const reading = readReply(observer.reply('queue-1', third.runId));
    harness.agent.open('q');
    expect(await reading).toMatchObject({ text: expectedText({ chunks: 4 }), status: 'completed' });
  });
});

describe('replies of runs that do not complete', () => {
  it('ends the readers of an aborted run, running or queued, and of one aborted before the client joined', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const observer = await harness.client();
    await observer.join('abort-1');
    const twoChunks = chunksSeen(observer, 'abort-1', 2);
    const running = await sender.send('abort-1', turnMessage({ chunks: 5, holdAt: 2, gate: 'never' }));
    // Abort once the run waits at its gate, so the text it leaves is known.
    await twoChunks;
    const queued = await sender.send('abort-1', turnMessage({ chunks: 2 }));
    const readers = [
      readReply(running.reply),
      readReply(observer.reply('abort-1', running.runId)),
      readReply(queued.reply),
      readReply(observer.reply('abort-1', queued.runId)),
    ];
    expect((await sender.abort('abort-1', queued.runId)).aborted).toBe(true);
    expect((await sender.abort('abort-1', running.runId)).aborted).toBe(true);
    const [senderRunning, observerRunning, senderQueued, observerQueued] = await Promise.all(readers);
    expect(senderRunning).toMatchObject({ status: 'aborted', text: expectedText({ chunks: 2 }) });
    expect(observerRunning).toMatchObject({ status: 'aborted', text: expectedText({ chunks: 2 }) });
    expect(senderQueued).toMatchObject({ status: 'aborted', text: '' });
    expect(observerQueued).toMatchObject({ status: 'aborted', text: '' });
    const late = await harness.client();
    await late.join('abort-1');
    expect(await readReply(late.reply('abort-1', running.runId))).toMatchObject({ status: 'aborted', text: expectedText({ chunks: 2 }) });
  });

  it('ends an aborted run whose run.end left the retention window, by asking the gateway', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const sent = await sender.send('abort-2', turnMessage({ chunks: 5, holdAt: 1, gate: 'never' }));
    await sender.abort('abort-2', sent.runId);
    await sent.reply.finished();
    const note = { type: 'message' as const, messageId: 'note-1', role: 'system' as const, text: 'later', at: Date.now() };
    const appended = await harness.control({ type: 'session.append', sessionId: 'abort-2', events: [note] });
    await harness.control({ type: 'session.trim', sessionId: 'abort-2', oldestCursor: appended.lastSeq! });
    const late = await harness.client();
    const snapshot = nextEvent(late, 'snapshot');
    await late.join('abort-2');
    expect((await snapshot).snapshot.events.some(({ event }) => event.type === 'run.end')).toBe(false);
    expect(await late.reply('abort-2', sent.runId).finished()).toMatchObject({ status: 'aborted' });
  });

  it('ends a failed run with its WireError, for the sender and for a late reader', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const sent = await sender.send('fail-1', turnMessage({ chunks: 4, failAt: 2 }));
    const end = await sent.reply.finished();
    expect(end).toMatchObject({ status: 'failed', text: expectedText({ chunks: 2 }), error: { code: 'AGENT_FAILED' } });
    const late = await harness.client();
    await late.join('fail-1');
    expect(await late.reply('fail-1', sent.runId).finished()).toMatchObject({ status: 'failed', error: { code: 'AGENT_FAILED' } });
  });
});
