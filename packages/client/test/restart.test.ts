import { describe, expect, it } from 'vitest';
import type { Gateway } from '@agent-gateway/server';
import { isSessionRunActive, type GatewayClient, type ToolCard } from '../src/index.js';
import { chunksSeen, expectedText, harnessPerTest, nextEvent, readReply, turnMessage, type Harness, type TurnSpec } from './helpers.js';

const startHarness = harnessPerTest();
let harness: Harness | undefined;

/** Resolve once `client` holds the card of a tool call of `sessionId` that is open (start and update seen). */
function openCard(client: GatewayClient, sessionId: string): Promise<ToolCard> {
  return nextEvent(client, 'tool', ({ sessionId: id, card, change }) => id === sessionId && change === 'updated' && !card.closed).then(({ card }) => card);
}

/** Resolve once the client's rows satisfy `settled` (checked after every `sessions` event). */
function rowsWhen(client: GatewayClient, settled: () => boolean): Promise<void> {
  return nextEvent(client, 'sessions', settled).then(() => undefined);
}

/**
 * Make `gateway` announce `instanceId()` in its hello, as a gateway of protocol 1.1 does. Test-side:
 * wraps each new socket's emit. The clients that read it do not validate inbound messages, because
 * the schema of this client version does not know the field yet.
 */
function announceInstance(gateway: Gateway, instanceId: () => string): void {
  gateway.io.use((socket, next) => {
    const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
    (socket as unknown as { emit: typeof emit }).emit = (event, ...args) => {
      if (event !== 'hello') return emit(event, ...args);
      const hello = args[0] as { gateway: Record<string, unknown> };
      return emit(event, { ...hello, gateway: { ...hello.gateway, instanceId: instanceId() } });
    };
    next();
  });
}

describe('a gateway that restarts (kill -9, new process on the same port)', () => {
  it('ends the run in progress as gateway-restarted, closes its open tool card, and shows the new gateway rows', async () => {
    harness = await startHarness();
    const client = await harness.client();
    await client.listSessions();
    // Two more sessions with runs active at the moment of the kill, followed by another client.
    const others = await harness.client();
    for (const sessionId of ['other-1', 'other-2']) await others.send(sessionId, turnMessage({ chunks: 3, holdAt: 1, gate: 'never' }));
    const cardOpen = openCard(client, 'restart-1');
    const allActive = rowsWhen(client, () => ['restart-1', 'other-1', 'other-2'].every((id) => client.sessions.isRunActive(id)));
    const sent = await client.send('restart-1', turnMessage({ chunks: 6, openToolAt: 2, gate: 'tool' }));
    const card = await cardOpen;
    await allActive;
    const revisionsBefore = new Map(client.sessions.list().map((row) => [row.sessionId, row.revision]));
    expect(Math.min(...revisionsBefore.values())).toBeGreaterThan(0);

    const interrupted = nextEvent(client, 'interrupted');
    const resync = nextEvent(client, 'resync');
    // The new gateway's rows: every session back, none active, each with the new gateway's revision.
    const newRows = rowsWhen(client, () =>
      ['restart-1', 'other-1', 'other-2'].every((id) => {
        const row = client.sessions.get(id);
        return row !== undefined && row.revision < revisionsBefore.get(id)! && !isSessionRunActive(row);
      }),
    );
    await harness.restart();

    await expect(readReply(sent.reply)).rejects.toMatchObject({ code: 'RUN_INTERRUPTED', reason: 'gateway-restarted' });
    expect(await interrupted).toMatchObject({ sessionId: 'restart-1', runIds: [sent.runId], reason: 'gateway-restarted' });
    expect((await resync).reason).toBe('epoch-mismatch');
    expect(card).toMatchObject({ toolName: 'slow', phase: 'update', closed: true, closedBy: 'gateway-restarted', state: 'interrupted' });
    await newRows;
    expect(client.sessions.list().filter(isSessionRunActive)).toEqual([]);
    expect(client.stats.runsInterrupted).toBe(1);

    // The session goes on with the new gateway; nothing of the old run is mixed into the new one.
    const turn: TurnSpec = { chunks: 4, toolAt: 1 };
    const next = await client.send('restart-1', turnMessage(turn));
    expect(await readReply(next.reply)).toMatchObject({ text: expectedText(turn), status: 'completed' });
    expect(client.tools.cards('restart-1', next.runId)).toEqual([expect.objectContaining({ phase: 'result', closed: true, closedBy: 'phase' })]);
    expect(client.tools.cards('restart-1', sent.runId)).toEqual([]);
  });

  it('closes every run of every followed session, and an observer finishes nothing from the old gateway', async () => {
    harness = await startHarness();
    const sender = await harness.client();
    const observer = await harness.client();
    await observer.join('restart-2');
    await observer.join('restart-3');
    const firstChunks = chunksSeen(observer, 'restart-3', 1);
    const two = await sender.send('restart-2', turnMessage({ chunks: 4, openToolAt: 1, gate: 'never' }));
    const three = await sender.send('restart-3', turnMessage({ chunks: 4, holdAt: 2, gate: 'never' }));
    const readers = [observer.reply('restart-2', two.runId), observer.reply('restart-3', three.runId)].map((reply) =>
      readReply(reply).catch((error: unknown) => error),
    );
    await firstChunks;
    const interrupted: string[] = [];
    observer.on('interrupted', ({ sessionId }) => interrupted.push(sessionId));
    const rebuilt = nextEvent(observer, 'resync', ({ sessionId }) => sessionId === 'restart-2');
    await harness.restart();
    for (const outcome of await Promise.all(readers)) expect(outcome).toMatchObject({ code: 'RUN_INTERRUPTED', reason: 'gateway-restarted' });
    expect(interrupted.sort()).toEqual(['restart-2', 'restart-3']);
    // The view is the new gateway's: its log of the session starts empty.
    expect((await rebuilt).reason).toBe('epoch-mismatch');
    expect(observer.conversation('restart-2').list()).toEqual([]);
  });
});

describe('hello.gateway.instanceId', () => {
  it('another instanceId after a reconnect closes the old runs and rows even when the epochs match', async () => {
    harness = await startHarness();
    let instanceId = 'instance-a';
    announceInstance(harness.gateway, () => instanceId);
    const client = await harness.client({ validateInbound: true });
    expect(client.hello?.gateway).toMatchObject({ instanceId: 'instance-a' });
    await client.listSessions();
    const cardOpen = openCard(client, 'instance-1');
    const sent = await client.send('instance-1', turnMessage({ chunks: 4, openToolAt: 1, gate: 'tool' }));
    const card = await cardOpen;
    const dropped = nextEvent(client, 'sessions', ({ removed }) => removed.includes('instance-1'));
    const resumed = nextEvent(client, 'resumed');
    instanceId = 'instance-b';
    harness.serverSocket(client).disconnect(true);
    await expect(sent.reply.finished()).rejects.toMatchObject({ code: 'RUN_INTERRUPTED', reason: 'gateway-restarted' });
    expect(card).toMatchObject({ closed: true, closedBy: 'gateway-restarted', state: 'interrupted' });
    await dropped;
    // Same log epoch: the session itself resumes by replay, from the new instance's point of view.
    await resumed;
    expect(client.stats.resyncs).toBe(0);
  });

  it('the same instanceId after a reconnect keeps runs and replies going', async () => {
    harness = await startHarness();
    announceInstance(harness.gateway, () => 'instance-same');
    const client = await harness.client({ validateInbound: true });
    const turn: TurnSpec = { chunks: 6, holdAt: 3, gate: 'go', toolAt: 4 };
    const firstChunks = chunksSeen(client, 'instance-2', 3);
    const sent = await client.send('instance-2', turnMessage(turn));
    const reading = readReply(sent.reply);
    await firstChunks;
    let interrupted = 0;
    client.on('interrupted', () => interrupted++);
    const resumed = nextEvent(client, 'resumed');
    harness.serverSocket(client).disconnect(true);
    await resumed;
    harness.agent.open('go');
    expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
    expect(interrupted).toBe(0);
  });
});

describe('a gateway that cuts a slow consumer', () => {
  it('reports SLOW_CONSUMER as the reason of the disconnect, reconnects and resumes by cursor', async () => {
    harness = await startHarness();
    const client = await harness.client({ validateInbound: true });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const turn: TurnSpec = { chunks: 12, holdAt: 6, gate: 'go' };
    const firstChunks = chunksSeen(client, 'slow-1', 6);
    const sent = await client.send('slow-1', turnMessage(turn));
    const reading = readReply(sent.reply);
    await firstChunks;
    const cut = nextEvent(client, 'connection', ({ state }) => state === 'reconnecting');
    const resumed = nextEvent(client, 'resumed');
    const socket = harness.serverSocket(client);
    socket.emit('protocol.error', { error: { code: 'SLOW_CONSUMER', message: 'pending output passed 1048576 bytes' } } as never);
    socket.disconnect(true);
    expect(await cut).toMatchObject({
      reason: 'SLOW_CONSUMER',
      error: { code: 'DISCONNECTED', wireError: { code: 'SLOW_CONSUMER', message: 'pending output passed 1048576 bytes' } },
    });
    expect(await resumed).toMatchObject({ sessionId: 'slow-1' });
    harness.agent.open('go');
    expect(await reading).toMatchObject({ text: expectedText(turn), status: 'completed' });
    expect(client.stats).toMatchObject({ reconnects: 1, resyncs: 0, gapsDetected: 0 });
    expect(errors).toEqual([]);
  });
});
