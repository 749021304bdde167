/*
 * B4 memory, read by the server processes themselves after two full collections (--expose-gc):
 * heap per retained event against the event's JSON size, RSS per idle joined client against raw
 * Socket.IO, and RSS of idle sessions.
 */
import { closeAll, connect, connectMany, controlAuth, pool, request } from '../lib/clients.js';
import { startGatewayHost, startRawServer, type ServerProcess } from '../lib/processes.js';
import type { RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';

type EventMaker = (i: number) => Record<string, unknown>;

// Distinct texts, as a real conversation has: identical strings would be shared and look cheaper.
const messageEvent: EventMaker = (i) => ({
  type: 'message',
  messageId: `m-${i}`,
  role: i % 2 === 0 ? 'user' : 'assistant',
  text: `message ${i}: ${'a sentence of an ordinary chat message, '.repeat(3)}`,
  at: 1_700_000_000_000 + i,
});
const chunkEvent: EventMaker = (i) => ({ type: 'stream.chunk', runId: 'run-mem', streamId: 'run-mem-s0', index: i, text: ` tok${i % 1000}` });

async function heapPerEvent(kind: string, make: EventMaker, count: number): Promise<{ heap: number; json: number }> {
  // Large enough budgets that nothing is compacted or evicted: every event stays retained.
  const server = await startGatewayHost({
    retention: { maxEvents: count * 2, maxBytes: 1 << 30, maxNonDurableEvents: count * 2, maxNonDurableBytes: 1 << 30 },
    heartbeat: { enabled: false },
  });
  try {
    const control = await connect(server.url, controlAuth);
    const sessionId = `b4-${kind}`;
    await request(control, 'control', { type: 'session.append', sessionId, events: [make(count)] });
    const before = await server.memory();
    let json = 0;
    for (let sent = 0; sent < count; sent += 1000) {
      const events = Array.from({ length: Math.min(1000, count - sent) }, (_, i) => make(sent + i));
      for (const event of events) json += Buffer.byteLength(JSON.stringify(event));
      await request(control, 'control', { type: 'session.append', sessionId, events });
    }
    const after = await server.memory();
    control.close();
    return { heap: (after.memory.heapUsed - before.memory.heapUsed) / count, json: json / count };
  } finally {
    await server.stop();
  }
}

async function rssPerIdleClient(server: ServerProcess, clients: number, auth: Record<string, unknown>): Promise<{ rss: number; heap: number }> {
  const sessions = 10;
  const control = await connect(server.url, auth);
  for (let i = 0; i < sessions; i++) await request(control, 'join', { sessionId: `b4-idle-${i}` });
  // Warm the connection path, then measure from a settled process.
  const warm = await connectMany(server.url, 20, auth);
  closeAll(warm);
  const before = await server.memory();
  const sockets = await connectMany(server.url, clients, auth);
  await pool(sockets.length, 50, (i) => request(sockets[i]!, 'join', { sessionId: `b4-idle-${i % sessions}` }));
  const after = await server.memory();
  closeAll([control, ...sockets]);
  return { rss: (after.memory.rss - before.memory.rss) / clients, heap: (after.memory.heapUsed - before.memory.heapUsed) / clients };
}

async function idleSessions(count: number): Promise<{ perSession: number; total: number; heapPerSession: number }> {
  const server = await startGatewayHost();
  try {
    const control = await connect(server.url, controlAuth);
    await request(control, 'control', { type: 'session.append', sessionId: 'b4-warm', events: [messageEvent(0)] });
    const before = await server.memory();
    await pool(count, 100, (i) => request(control, 'control', { type: 'session.append', sessionId: `b4-session-${i}`, events: [messageEvent(i)] }));
    control.close();
    const after = await server.memory();
    return {
      perSession: (after.memory.rss - before.memory.rss) / count,
      total: after.memory.rss,
      heapPerSession: (after.memory.heapUsed - before.memory.heapUsed) / count,
    };
  } finally {
    await server.stop();
  }
}

export async function memory(sizes: Sizes): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (const [kind, make] of [
    ['message', messageEvent],
    ['stream.chunk', chunkEvent],
  ] as const) {
    const { heap, json } = await heapPerEvent(kind, make, sizes.retainedEvents);
    rows.push({
      id: `B4.heap.${kind}`,
      group: 'B4 memory',
      label: `heap per retained ${kind} event (${Math.round(json)} B of JSON), ${sizes.retainedEvents.toLocaleString('en-US')} retained`,
      unit: 'bytes',
      gateway: heap,
      raw: json,
      compare: 'ratio',
      target: { of: 'ratio', op: '<=', value: 2, text: '≤ 2x JSON' },
      note: 'raw column: the JSON size of the event',
    });
  }
  const gateway = await startGatewayHost();
  const gatewayIdle = await rssPerIdleClient(gateway, sizes.idleClients, {}).finally(() => gateway.stop());
  const raw = await startRawServer();
  const rawIdle = await rssPerIdleClient(raw, sizes.idleClients, {}).finally(() => raw.stop());
  rows.push({
    id: 'B4.client',
    group: 'B4 memory',
    label: `RSS per idle joined client (${sizes.idleClients.toLocaleString('en-US')} websocket clients)`,
    unit: 'bytes',
    gateway: gatewayIdle.rss,
    raw: rawIdle.rss,
    compare: 'ratio',
    target: { of: 'ratio', op: '<=', value: 1.2, text: '≤ 1.2x' },
  });
  rows.push({
    id: 'B4.client.heap',
    group: 'B4 memory',
    label: 'heap per idle joined client',
    unit: 'bytes',
    gateway: gatewayIdle.heap,
    raw: rawIdle.heap,
    compare: 'ratio',
  });
  const sessions = await idleSessions(sizes.idleSessions);
  rows.push({
    id: 'B4.sessions',
    group: 'B4 memory',
    label: `RSS of ${sizes.idleSessions.toLocaleString('en-US')} idle sessions (one message each): total process RSS`,
    unit: 'bytes',
    gateway: sessions.total,
    compare: 'none',
  });
  rows.push({
    id: 'B4.sessions.each',
    group: 'B4 memory',
    label: 'RSS per idle session',
    unit: 'bytes',
    gateway: sessions.perSession,
    compare: 'none',
  });
  rows.push({
    id: 'B4.sessions.heap',
    group: 'B4 memory',
    label: 'heap per idle session',
    unit: 'bytes',
    gateway: sessions.heapPerSession,
    compare: 'none',
  });
  return rows;
}
