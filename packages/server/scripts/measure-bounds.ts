/*
 * Measures what an abusive or slow client costs the gateway, against the shipped CLI in its own
 * process (so its memory and CPU are its own). Figures, not assertions: the tests assert counts.
 *
 *   npx tsx scripts/measure-bounds.ts slow-consumer [--heap 512]   a client stops reading while its session streams
 *   npx tsx scripts/measure-bounds.ts slow-reader                  a client reads, slowly
 *   npx tsx scripts/measure-bounds.ts no-slow-client               the same flood with only a fast reader (the baseline)
 *   npx tsx scripts/measure-bounds.ts session-flood                one connection joins 20,000 random session ids
 *   npx tsx scripts/measure-bounds.ts list-storm                   2,000 clients while one creates 2,000 sessions
 *
 * --cli <path> runs another build of the CLI (e.g. an older checkout's dist/cli.js); flags that build
 * does not know are left out. --gateway-args "..." adds flags to the gateway's command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cli: { type: 'string' },
    heap: { type: 'string' },
    seconds: { type: 'string' },
    clients: { type: 'string' },
    sessions: { type: 'string' },
    'gateway-args': { type: 'string' },
  },
});
const scenario = positionals[0] ?? 'slow-consumer';
const cliPath = values.cli ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const CONTROL = 'measure-control';

const help = await new Promise<string>((resolve) => {
  const proc = spawn(process.execPath, [cliPath, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.once('exit', () => resolve(out));
});
const supports = (flag: string) => help.includes(flag);
/** Flags only the newer CLI knows, kept when the CLI under test has them. */
const optional = (flags: Array<[string, string]>) => flags.filter(([flag]) => supports(flag)).flat();

async function startGateway(extra: string[]): Promise<{ url: string; child: ChildProcess }> {
  const node = values.heap ? [`--max-old-space-size=${values.heap}`] : [];
  const more = values['gateway-args']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...node, cliPath, 'serve', '--port', '0', '--control-token', CONTROL, '--log-level', 'error', ...extra, ...more], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnedAt = Date.now();
  child.once('exit', (code, signal) =>
    console.log(
      `  gateway exited after ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s: code ${code} signal ${signal} ${stderr.includes('heap out of memory') ? '(JavaScript heap out of memory)' : stderr.slice(-200)}`,
    ),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`gateway did not start: ${stderr}`)));
  });
  return { url, child };
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise((resolve, reject) => {
    socket.once('hello', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const ask = (socket: Socket, event: string, params: unknown, ms = 60_000) => socket.timeout(ms).emitWithAck(event, params);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(url: string, name: string): Promise<number | undefined> {
  const body = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return match ? Number(match[1]) : undefined;
}

function tcpOf(socket: Socket): { pause(): void; resume(): void } {
  const engine = socket.io.engine as unknown as { transport: { ws?: { _socket?: { pause(): void; resume(): void } } } };
  const tcp = engine.transport.ws?._socket;
  if (!tcp) throw new Error('no TCP socket under the websocket transport');
  return tcp;
}

/**
 * A session streaming without end: back-to-back runs of 100,000 chunks of 10 characters (about
 * 20 MB on the wire each). Small chunks keep the flood's own footprint (the reply each run leaves in
 * the conversation) at a twentieth of what it sends, so what is measured is what the readers cost.
 */
async function streamFor(driver: Socket, sessionId: string, ms: number, stopped: () => boolean): Promise<number> {
  let runs = 0;
  const until = Date.now() + ms;
  while (Date.now() < until && !stopped()) {
    const started = await ask(driver, 'control', { type: 'run.script', sessionId, steps: [{ type: 'chunks', count: 100_000, text: 'abcdefghij' }] });
    const runId = started.data.runId as string;
    await new Promise<void>((resolve) => {
      const onFrames = (frames: Array<{ event: { type: string; runId?: string } }>) => {
        if (frames.some((f) => f.event.type === 'run.end' && f.event.runId === runId)) {
          driver.off('session.event', onFrames);
          resolve();
        }
      };
      driver.on('session.event', onFrames);
      setTimeout(() => (driver.off('session.event', onFrames), resolve()), Math.max(0, until - Date.now()) + 2_000);
    });
    runs += 1;
  }
  return runs;
}

async function slowConsumer(reading: 'stopped' | 'slow' | 'none'): Promise<void> {
  const seconds = Number(values.seconds ?? (reading === 'slow' ? 20 : 15));
  const { url, child } = await startGateway(['--demo']);
  const pid = child.pid!;
  const driver = await connect(url, { controlToken: CONTROL });
  await ask(driver, 'join', { sessionId: 'flood' });
  const consumer = await connect(url);
  await ask(consumer, 'join', { sessionId: 'flood' });
  let consumerGone: number | undefined;
  let reason: string | undefined;
  consumer.on('protocol.error', (p: { error: { code: string } }) => (reason = p.error.code));
  consumer.on('disconnect', () => (consumerGone ??= Date.now()));
  const tcp = tcpOf(consumer);
  if (reading === 'none') consumer.close();
  else tcp.pause();
  let cutAt: number | undefined;
  const before = rssMb(pid);
  let peak = before;
  const started = Date.now();
  let dead = false;
  child.once('exit', () => (dead = true));
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) || 0);
    void metric(url, 'agent_gateway_slow_consumers_cut_total').then((cut) => {
      if (cut && cut > 0 && cutAt === undefined) cutAt = Date.now();
    });
  }, 200);
  // A slow reader: takes in 256 KB every 100 ms (2.5 MB/s), then waits.
  let read = 0;
  if (reading === 'slow') {
    (tcp as unknown as { on(e: 'data', l: (c: Buffer) => void): void }).on('data', (chunk) => {
      read += chunk.length;
      if (read >= 256 * 1024) tcp.pause();
    });
  }
  const reader = reading === 'slow' ? setInterval(() => ((read = 0), tcp.resume()), 100) : undefined;
  const runs = await streamFor(driver, 'flood', seconds * 1000, () => dead).catch(() => -1);
  const during = rssMb(pid);
  if (reader) clearInterval(reader);
  tcp.resume();
  consumer.close();
  driver.close();
  await sleep(5_000);
  clearInterval(sampler);
  const after = rssMb(pid);
  console.log(
    `${reading === 'stopped' ? 'slow consumer (socket not read)' : reading === 'slow' ? 'slow reader' : 'the same flood, no slow client'}: ${runs} runs streamed in ${((Date.now() - started - 5_000) / 1000).toFixed(1)} s; ` +
      `gateway RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB, ${during.toFixed(0)} MB at the end, ${after.toFixed(0)} MB 5 s after the consumer closed; ` +
      `consumer cut ${cutAt ? `after ${((cutAt - started) / 1000).toFixed(1)} s` : 'never'}${reason ? ` (${reason})` : ''}${consumerGone ? '' : ''}; gateway ${dead ? 'DIED' : 'alive'}`,
  );
  child.kill('SIGTERM');
}

async function sessionFlood(): Promise<void> {
  const count = Number(values.sessions ?? 20_000);
  const idleMs = 5_000;
  const { url, child } = await startGateway(['--demo', ...optional([['--session-idle-ms', String(idleMs)]])]);
  const pid = child.pid!;
  const before = rssMb(pid);
  const client = await connect(url);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const answer = await ask(client, 'join', { sessionId: `flood-${i}-${Math.random().toString(36).slice(2, 10)}` });
    const key = answer.ok ? 'ok' : answer.error.code;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const loaded = (await ask(client, 'diagnostics.get', {})).data.sessions as number;
  const rssLoaded = rssMb(pid);
  client.close();
  await sleep(idleMs + Math.max(1_000, idleMs / 4) * 2 + 1_000);
  const probe = await connect(url);
  const later = (await ask(probe, 'diagnostics.get', {})).data.sessions as number;
  probe.close();
  console.log(
    `session flood: ${count} joins of random ids by one connection: ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}; ` +
      `${loaded} sessions loaded, gateway RSS ${before.toFixed(0)} -> ${rssLoaded.toFixed(0)} MB; ` +
      `${(idleMs / 1000 + 3).toFixed(0)} s after the connection left: ${later} sessions, RSS ${rssMb(pid).toFixed(0)} MB`,
  );
  child.kill('SIGTERM');
}

async function listStorm(): Promise<void> {
  const clients = Number(values.clients ?? 2_000);
  const sessions = Number(values.sessions ?? 2_000);
  const subscribers = 10;
  const { url, child } = await startGateway([
    '--demo',
    ...optional([
      ['--max-connections-per-principal', String(clients + 100)],
      ['--max-sessions-per-principal', String(sessions + 100)],
    ]),
  ]);
  const pid = child.pid!;
  const sockets: Socket[] = [];
  for (let i = 0; i < clients; i += 100) sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, clients - i) }, () => connect(url)))));
  let changed = 0;
  let resyncs = 0;
  for (const s of sockets) {
    s.on('sessions.changed', () => changed++);
    s.on('sessions.resync', () => resyncs++);
  }
  // A few of them follow the list, as session-list views do (a gateway without the request ignores it).
  const subscribed = await Promise.all(sockets.slice(0, subscribers).map((s) => ask(s, 'sessions.subscribe', { enabled: true }).catch(() => undefined)));
  const bystander = await connect(url);
  const creator = await connect(url);
  const latencies: number[] = [];
  let storming = true;
  const probe = (async () => {
    while (storming) {
      const t0 = performance.now();
      await ask(bystander, 'sessions.list', { limit: 1 });
      latencies.push(performance.now() - t0);
      await sleep(10);
    }
  })();
  const cpu0 = cpuMs(pid);
  const t0 = Date.now();
  const refused = new Map<string, number>();
  await Promise.all(
    Array.from({ length: 20 }, async (_, worker) => {
      for (let i = worker; i < sessions; i += 20) {
        const answer = await ask(creator, 'join', { sessionId: `storm-${i}` });
        if (!answer.ok) refused.set(answer.error.code, (refused.get(answer.error.code) ?? 0) + 1);
      }
    }),
  );
  // Let what is queued arrive before counting.
  await sleep(3_000);
  storming = false;
  await probe;
  const cpu = cpuMs(pid) - cpu0;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(
    `list storm: ${clients} clients (${subscribed.filter((s) => s?.ok).length} subscribed to the list), one creates ${sessions} sessions in ${((Date.now() - t0 - 3_000) / 1000).toFixed(1)} s` +
      `${refused.size ? ` (${[...refused].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}: ` +
      `${changed} sessions.changed and ${resyncs} sessions.resync delivered; gateway CPU ${(cpu / 1000).toFixed(1)} s; ` +
      `bystander sessions.list p50 ${p(0.5)} ms, p95 ${p(0.95)} ms over ${latencies.length} requests`,
  );
  for (const s of [...sockets, bystander, creator]) s.close();
  child.kill('SIGTERM');
}

if (scenario === 'slow-consumer') await slowConsumer('stopped');
else if (scenario === 'slow-reader') await slowConsumer('slow');
else if (scenario === 'no-slow-client') await slowConsumer('none');
else if (scenario === 'session-flood') await sessionFlood();
else if (scenario === 'list-storm') await listStorm();
else throw new Error(`unknown scenario ${scenario}`);
process.exit(0);
