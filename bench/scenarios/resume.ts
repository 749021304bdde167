/*
 * B3 resume: a client rejoins far behind (time until it holds everything and is live), and a
 * reconnect storm (many clients connect and rejoin at once, each behind: time until all are live).
 * The raw server replays one event per emit; the gateway replays in batches before its answer.
 */
import { closeAll, connect, connectMany, controlAuth, pool, request, type Socket } from '../lib/clients.js';
import { startGatewayCli, startRawServer, type ServerProcess } from '../lib/processes.js';
import type { RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';

const TEXT = 'a durable message of the conversation, about as long as a short chat line ';

interface ResumeTarget {
  start(): Promise<ServerProcess>;
  auth: Record<string, unknown>;
  /** Append `count` durable events; returns the epoch. */
  fill(control: Socket, sessionId: string, count: number): Promise<string>;
  /** Join from `since`; resolves when the answer and every replayed event have arrived. */
  rejoin(client: Socket, sessionId: string, since: number, epoch: string, behind: number): Promise<void>;
}

function messages(count: number, from: number) {
  return Array.from({ length: count }, (_, i) => ({ type: 'message', messageId: `m${from + i}`, role: 'assistant', text: `${TEXT}${from + i}`, at: 1 }));
}

/** Count replay frames (batches or single frames) and wait for the answer too. */
function rejoinAndCount(client: Socket, params: Record<string, unknown>, behind: number): Promise<void> {
  let replayed = 0;
  let answered = false;
  return new Promise((resolve, reject) => {
    const finish = () => {
      if (answered && replayed >= behind) {
        client.off('replay', onReplay);
        resolve();
      }
    };
    const onReplay = (payload: unknown) => {
      replayed += Array.isArray(payload) ? payload.length : 1;
      finish();
    };
    client.on('replay', onReplay);
    client.emit('join', params, (result: { ok: boolean; error?: unknown }) => {
      if (!result.ok) return reject(new Error(`join failed: ${JSON.stringify(result.error)}`));
      answered = true;
      finish();
    });
  });
}

const gatewayTarget: ResumeTarget = {
  start: () => startGatewayCli(),
  auth: controlAuth,
  async fill(control, sessionId, count) {
    let epoch = '';
    for (let sent = 0; sent < count; sent += 1000) {
      const data = await request(control, 'control', { type: 'session.append', sessionId, events: messages(Math.min(1000, count - sent), sent) });
      epoch = data.epoch;
    }
    return epoch;
  },
  rejoin: (client, sessionId, since, epoch, behind) => rejoinAndCount(client, { sessionId, since, epoch }, behind),
};

const rawTarget: ResumeTarget = {
  start: () => startRawServer(),
  auth: {},
  async fill(control, sessionId, count) {
    for (let sent = 0; sent < count; sent += 1000) await request(control, 'append', { sessionId, events: messages(Math.min(1000, count - sent), sent) });
    return 'raw';
  },
  rejoin: (client, sessionId, since, _epoch, behind) => rejoinAndCount(client, { sessionId, since }, behind),
};

async function oneBehind(target: ResumeTarget, behind: number): Promise<number> {
  const server = await target.start();
  try {
    const control = await connect(server.url, target.auth);
    // Warm the replay path once on another session.
    const warmEpoch = await target.fill(control, 'b3-warm', 1000);
    const warm = await connect(server.url, target.auth);
    await target.rejoin(warm, 'b3-warm', 0, warmEpoch, 1000);
    const epoch = await target.fill(control, 'b3', behind);
    const reader = await connect(server.url, target.auth);
    const started = performance.now();
    await target.rejoin(reader, 'b3', 0, epoch, behind);
    const ms = performance.now() - started;
    closeAll([control, warm, reader]);
    return ms;
  } finally {
    await server.stop();
  }
}

async function storm(target: ResumeTarget, clients: number, log: number): Promise<number> {
  const server = await target.start();
  try {
    const control = await connect(server.url, target.auth);
    const epoch = await target.fill(control, 'b3-storm', log);
    // Each client is behind by a different amount, from a tenth of the log to half of it.
    const sinceOf = (i: number) => log - Math.round(log * (0.1 + (0.4 * i) / clients));
    const started = performance.now();
    const sockets: Socket[] = [];
    await pool(clients, clients, async (i) => {
      const [socket] = await connectMany(server.url, 1, target.auth);
      sockets.push(socket!);
      await target.rejoin(socket!, 'b3-storm', sinceOf(i), epoch, log - sinceOf(i));
    });
    const ms = performance.now() - started;
    closeAll([control, ...sockets]);
    return ms;
  } finally {
    await server.stop();
  }
}

export async function resume(sizes: Sizes): Promise<RunRow[]> {
  return [
    {
      id: 'B3.1',
      group: 'B3 resume',
      label: `rejoin ${sizes.resumeBehind.toLocaleString('en-US')} events behind: time to caught up`,
      unit: 'ms',
      gateway: await oneBehind(gatewayTarget, sizes.resumeBehind),
      raw: await oneBehind(rawTarget, sizes.resumeBehind),
      compare: 'ratio',
      target: { of: 'ratio', op: '<=', value: 0.5, text: '≤ 0.5x' },
    },
    {
      id: 'B3.2',
      group: 'B3 resume',
      label: `reconnect storm: ${sizes.stormClients} clients connect and rejoin at once, each ${Math.round(sizes.stormLog * 0.1)}-${Math.round(sizes.stormLog * 0.5)} events behind: time until all are live`,
      unit: 'ms',
      gateway: await storm(gatewayTarget, sizes.stormClients, sizes.stormLog),
      raw: await storm(rawTarget, sizes.stormClients, sizes.stormLog),
      compare: 'ratio',
    },
  ];
}
