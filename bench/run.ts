/*
 * Benchmarks of the reference gateway against plain Socket.IO, measured in the same run on the
 * same machine. Each server runs in its own child process; the clients run here. Figures are
 * reported as ratios (gateway / raw), which stay comparable across machines; absolute numbers are
 * printed for context only.
 *
 *   npm run bench            (BENCH_EVENTS, BENCH_CLIENTS, BENCH_ROUNDS override the sizes)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const ROUND_TRIPS = Number(process.env.BENCH_ROUNDS ?? 2_000);
const APPEND_CHUNK = 500;
const TEXT = 'lorem ipsum dolor sit amet ';
const CONTROL_TOKEN = 'bench-control';
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServer(command: string, args: string[]): Promise<Server> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = /(http:\/\/[^\s]+)/.exec(output);
    if (match) return { url: match[1]!.replace(/\/$/, ''), child };
  }
  throw new Error(`server exited before printing its URL: ${output}`);
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

type AckResult = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

async function request(socket: Socket, event: string, params: unknown): Promise<any> {
  const result = (await socket.timeout(60_000).emitWithAck(event, params)) as AckResult;
  if (!result.ok) throw new Error(`${event} failed: ${result.error.code} ${result.error.message}`);
  return result.data;
}

/** Resolves when `socket` has received `total` frames on `event` (payloads are frame arrays). */
function countFrames(socket: Socket, event: string, total: number): Promise<void> {
  let received = 0;
  return new Promise((resolve) => {
    socket.on(event, (frames: unknown[]) => {
      received += Array.isArray(frames) ? frames.length : 1;
      if (received >= total) resolve();
    });
  });
}

function chunkEvents(count: number, startIndex: number) {
  return Array.from({ length: count }, (_, i) => ({ type: 'stream.chunk', runId: 'bench-run', streamId: 'bench-stream', index: startIndex + i, text: TEXT }));
}

function messageEvents(count: number, startIndex: number) {
  return Array.from({ length: count }, (_, i) => ({ type: 'message', messageId: `m${startIndex + i}`, role: 'assistant', text: TEXT, at: 1 }));
}

interface Target {
  name: string;
  /** Join a session; resolves once the join is acknowledged. */
  join(socket: Socket, sessionId: string, since?: { since: number; epoch: string }): Promise<{ epoch: string; cursor: number }>;
  /** Append `count` events to the session and fan them out. */
  produce(socket: Socket, sessionId: string, count: number, kind: 'chunk' | 'message', startIndex: number): Promise<void>;
  roundTrip(socket: Socket): Promise<void>;
  auth: Record<string, unknown>;
}

const gateway: Target = {
  name: 'gateway',
  auth: { controlToken: CONTROL_TOKEN },
  async join(socket, sessionId, since) {
    const joined = await request(socket, 'join', since ? { sessionId, ...since } : { sessionId });
    return { epoch: joined.epoch, cursor: joined.cursor };
  },
  async produce(socket, sessionId, count, kind, startIndex) {
    const events = kind === 'chunk' ? chunkEvents(count, startIndex) : messageEvents(count, startIndex);
    await request(socket, 'control', { type: 'session.append', sessionId, events });
  },
  async roundTrip(socket) {
    await request(socket, 'sessions.list', { limit: 1 });
  },
};

function rawTarget(name: string, batch: number): Target {
  return {
    name,
    auth: {},
    async join(socket, sessionId, since) {
      const data = await request(socket, 'join', { sessionId, since: since?.since, batch });
      return { epoch: 'raw', cursor: data.cursor };
    },
    async produce(socket, sessionId, count) {
      await request(socket, 'produce', { sessionId, count, batch, text: TEXT });
    },
    async roundTrip(socket) {
      await request(socket, 'ping.rt', {});
    },
  };
}

async function liveFanOut(url: string, target: Target): Promise<number> {
  const sessionId = `fanout-${target.name}`;
  const producer = await connect(url, target.auth);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url, target.auth)));
  await Promise.all(clients.map((c) => target.join(c, sessionId)));
  const done = Promise.all(clients.map((c) => countFrames(c, 'session.event', EVENTS)));
  const started = performance.now();
  for (let sent = 0; sent < EVENTS; sent += APPEND_CHUNK) await target.produce(producer, sessionId, Math.min(APPEND_CHUNK, EVENTS - sent), 'chunk', sent);
  await done;
  const seconds = (performance.now() - started) / 1000;
  for (const s of [producer, ...clients]) s.close();
  return (EVENTS * CLIENTS) / seconds;
}

async function replay(url: string, target: Target): Promise<number> {
  const sessionId = `replay-${target.name}`;
  const producer = await connect(url, target.auth);
  const { epoch } = await target.join(producer, sessionId);
  for (let sent = 0; sent < EVENTS; sent += APPEND_CHUNK) await target.produce(producer, sessionId, Math.min(APPEND_CHUNK, EVENTS - sent), 'message', sent);
  const reader = await connect(url, target.auth);
  const done = countFrames(reader, 'replay', EVENTS);
  const started = performance.now();
  await target.join(reader, sessionId, { since: 0, epoch });
  await done;
  const seconds = (performance.now() - started) / 1000;
  producer.close();
  reader.close();
  return EVENTS / seconds;
}

async function roundTrips(url: string, target: Target): Promise<number> {
  const socket = await connect(url, target.auth);
  for (let i = 0; i < 100; i += 1) await target.roundTrip(socket); // warm-up
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i += 1) await target.roundTrip(socket);
  const micros = ((performance.now() - started) * 1000) / ROUND_TRIPS;
  socket.close();
  return micros;
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

async function main(): Promise<void> {
  const gw = await startServer(process.execPath, [
    here('../packages/server/dist/cli.js'),
    'serve',
    '--port',
    '0',
    '--conformance-token',
    CONTROL_TOKEN,
    '--max-events',
    String(EVENTS * 8),
    '--max-bytes',
    String(EVENTS * 8 * 1024),
    '--log-level',
    'error',
  ]);
  const raw = await startServer(process.execPath, [here('./raw-server.mjs')]);
  const rawSingle = rawTarget('raw-1', 1);
  const rawBatched = rawTarget('raw-batched', 512);
  try {
    const rows: [string, number, number, number, string][] = [];
    const fanGw = await liveFanOut(gw.url, gateway);
    const fanRaw1 = await liveFanOut(raw.url, rawSingle);
    const fanRawB = await liveFanOut(raw.url, rawBatched);
    rows.push(['live fan-out (events/s delivered)', fanGw, fanRaw1, fanRawB, 'higher is better']);
    const repGw = await replay(gw.url, gateway);
    const repRaw1 = await replay(raw.url, rawSingle);
    const repRawB = await replay(raw.url, rawBatched);
    rows.push(['replay on join (events/s)', repGw, repRaw1, repRawB, 'higher is better']);
    const rtGw = await roundTrips(gw.url, gateway);
    const rtRaw = await roundTrips(raw.url, rawSingle);
    rows.push(['request round trip (µs, lower is better)', rtGw, rtRaw, rtRaw, 'lower is better']);

    console.log(`Agent Gateway benchmark: ${EVENTS} events, ${CLIENTS} live clients, ${ROUND_TRIPS} round trips, Node ${process.version}`);
    console.log('raw-1 = plain Socket.IO, one emit per event; raw-batched = plain Socket.IO, 512 events per emit.\n');
    console.log('| measure | gateway | raw-1 | raw-batched | gateway / raw-1 | gateway / raw-batched |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [label, g, r1, rb] of rows) {
      console.log(`| ${label} | ${fmt(g)} | ${fmt(r1)} | ${fmt(rb)} | ${(g / r1).toFixed(2)}x | ${(g / rb).toFixed(2)}x |`);
    }
  } finally {
    await stop(gw);
    await stop(raw);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
