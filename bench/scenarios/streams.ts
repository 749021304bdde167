/*
 * B1 token stream and B2 fan-out: an agent in the gateway process streams chunks one at a time as
 * fast as it can (control run.script), against raw Socket.IO emitting one event per emit to a room.
 */
import { closeAll, connect, connectMany, controlAuth, isRunEnd, pool, receiveUntil, request, type Socket } from '../lib/clients.js';
import { startGatewayCli, startRawServer, type ServerProcess, type Transport } from '../lib/processes.js';
import type { RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';

const TOKEN = 'tok ';

/** The stream could not be measured to its end in this run. */
export class Incomplete extends Error {}

export interface StreamTarget {
  start(transport: Transport): Promise<ServerProcess>;
  /** Join `sessionId` with every client (a fresh view; no replay). */
  join(client: Socket, sessionId: string): Promise<void>;
  /** Start a stream of `count` chunks in `sessionId`; resolves once it is queued. */
  stream(control: Socket, sessionId: string, count: number): Promise<void>;
  controlAuth: Record<string, unknown>;
}

export const gatewayTarget: StreamTarget = {
  start: (transport) => startGatewayCli([], { transport }),
  async join(client, sessionId) {
    await request(client, 'join', { sessionId });
  },
  async stream(control, sessionId, count) {
    await request(control, 'control', { type: 'run.script', sessionId, steps: [{ type: 'chunks', count, text: TOKEN }] });
  },
  controlAuth,
};

export const rawTarget: StreamTarget = {
  start: (transport) => startRawServer({ transport }),
  async join(client, sessionId) {
    await request(client, 'join', { sessionId });
  },
  async stream(control, sessionId, count) {
    await request(control, 'stream', { sessionId, count, text: TOKEN });
  },
  controlAuth: {},
};

/** Deliveries per second: every client of every session receives every chunk. */
function streamRate(target: StreamTarget, server: ServerProcess, sessions: number, clientsPerSession: number, chunks: number, tag: string): Promise<number> {
  return deliveryRate(target, [server.url], sessions, clientsPerSession, chunks, tag);
}

/**
 * Deliveries per second with the clients spread over `urls` (client i on `urls[i % urls.length]`)
 * and the control connection, where the runs start, on the first: gateways sharing sessions.
 */
export async function deliveryRate(
  target: StreamTarget,
  urls: readonly string[],
  sessions: number,
  clientsPerSession: number,
  chunks: number,
  tag: string,
): Promise<number> {
  const control = await connect(urls[0]!, target.controlAuth);
  const clients =
    urls.length === 1
      ? await connectMany(urls[0]!, sessions * clientsPerSession)
      : await pool(sessions * clientsPerSession, 50, (i) => connect(urls[i % urls.length]!));
  const sessionIds = Array.from({ length: sessions }, (_, i) => `${tag}-${i}`);
  await pool(clients.length, 100, (i) => target.join(clients[i]!, sessionIds[i % sessions]!));
  // A client dropped by the server (a missed heartbeat while the processes are saturated) ends the
  // measurement: its deliveries would never come.
  let lost = 0;
  const dropped = new Promise<never>((_, reject) => {
    for (const socket of [control, ...clients])
      socket.on('disconnect', (reason) => {
        lost += 1;
        reject(new Incomplete(`${lost} client(s) disconnected by the server during the stream (${reason})`));
      });
  });
  dropped.catch(() => undefined);
  const done = Promise.all(clients.map((client) => receiveUntil(client, 'session.event', isRunEnd)));
  const started = performance.now();
  await Promise.race([pool(sessions, 100, (i) => target.stream(control, sessionIds[i]!, chunks)), dropped]);
  await Promise.race([done, dropped]);
  const seconds = (performance.now() - started) / 1000;
  closeAll([control, ...clients]);
  return (chunks * sessions * clientsPerSession) / seconds;
}

async function measure(target: StreamTarget, transport: Transport, sizes: Sizes, work: (server: ServerProcess) => Promise<number>): Promise<number> {
  const server = await target.start(transport);
  try {
    await streamRate(target, server, 1, 1, sizes.warmup, 'warmup');
    return await work(server);
  } finally {
    await server.stop();
  }
}

/** B1: one client and ten clients of one session. Returns the raw one-client rate for B1b. */
export async function tokenStream(sizes: Sizes, transport: Transport): Promise<{ rows: RunRow[]; rawOneClientRate: number }> {
  const suffix = transport === 'ws' ? '' : ` (${transport})`;
  const idSuffix = transport === 'ws' ? '' : '+bu';
  const rows: RunRow[] = [];
  let rawOneClientRate = 0;
  for (const clients of [1, 10]) {
    const chunks = clients === 1 ? sizes.streamOne : sizes.streamTen;
    const gateway = await measure(gatewayTarget, transport, sizes, (s) => streamRate(gatewayTarget, s, 1, clients, chunks, 'b1'));
    const raw = await measure(rawTarget, transport, sizes, (s) => streamRate(rawTarget, s, 1, clients, chunks, 'b1'));
    if (clients === 1) rawOneClientRate = raw;
    rows.push({
      id: `B1.${clients === 1 ? 1 : 2}${idSuffix}`,
      group: 'B1 token stream',
      label: `${clients === 1 ? 'one client' : 'ten clients'}, ${chunks.toLocaleString('en-US')} chunks: events/s delivered${suffix}`,
      unit: 'events/s',
      gateway,
      raw,
      compare: 'ratio',
      target: { of: 'ratio', op: '>=', value: 3.5, text: '≥ 3.5x' },
    });
  }
  return { rows, rawOneClientRate };
}

/** B2: one session with many clients; many sessions with two clients each and a run in every one. */
export async function fanOut(sizes: Sizes): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  const wide = async (target: StreamTarget) => measure(target, 'ws', sizes, (s) => streamRate(target, s, 1, sizes.fanoutClients, sizes.fanoutChunks, 'b2'));
  rows.push({
    id: 'B2.1',
    group: 'B2 fan-out',
    label: `one session, ${sizes.fanoutClients} clients, ${sizes.fanoutChunks.toLocaleString('en-US')} chunks: deliveries/s`,
    unit: 'deliveries/s',
    gateway: await wide(gatewayTarget),
    raw: await wide(rawTarget),
    compare: 'ratio',
    target: { of: 'ratio', op: '>=', value: 2, text: '≥ 2x' },
  });
  const many = async (target: StreamTarget) =>
    measure(target, 'ws', sizes, (s) => streamRate(target, s, sizes.manySessions, 2, sizes.manySessionChunks, 'b2many')).catch((error: unknown) => {
      if (error instanceof Incomplete) return error.message;
      throw error;
    });
  const gateway = await many(gatewayTarget);
  const raw = await many(rawTarget);
  const failed = [gateway, raw].find((v): v is string => typeof v === 'string');
  rows.push({
    id: 'B2.2',
    group: 'B2 fan-out',
    label: `${sizes.manySessions.toLocaleString('en-US')} sessions x 2 clients, a run of ${sizes.manySessionChunks} chunks in each at once: deliveries/s`,
    unit: 'deliveries/s',
    gateway: typeof gateway === 'number' ? gateway : NaN,
    raw: typeof raw === 'number' ? raw : NaN,
    compare: 'ratio',
    ...(failed ? { failed: `${typeof gateway === 'string' ? 'gateway' : 'raw'}: ${failed}` } : {}),
  });
  return rows;
}
