/*
 * Redis trouble is visible and recovered from: a killed connection (CLIENT KILL) is re-established
 * and its subscriptions restored, with nothing missed; a Redis server that goes away makes requests
 * answer UNAVAILABLE (retryable) and /healthz report degraded, and service resumes by itself when it
 * is back. No replay is ever served with holes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/index.js';
import { redisEngine } from '../../src/redis/index.js';
import { assertGapless, createHarness } from '../helpers/wire.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

const CONTROL = 'outage-control';
let admin: Redis;
beforeAll(async () => void (admin = await adminClient()));
afterAll(() => admin?.disconnect());

function ok<T>(result: { ok: boolean; data?: T; error?: unknown }): T {
  if (!result.ok) throw new Error(`request failed: ${JSON.stringify(result.error)}`);
  return result.data as T;
}

const message = (i: number) => ({ type: 'message' as const, messageId: `m${i}`, role: 'user' as const, text: `t${i}`, at: i });

/** Resolves once `check` holds, polling the gateway's own state (no network wait involved). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function healthz(gateway: Gateway): Promise<{ status: number; body: { status: string; reasons?: string[] } }> {
  const res = await fetch(`${gateway.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; reasons?: string[] } };
}

describe('a killed Redis connection', () => {
  const harness = createHarness();
  let prefix: string;
  beforeAll(() => void (prefix = testPrefix('killed')));
  afterEach(async () => await harness.closeAll());
  afterAll(async () => void (await deletePrefix(admin, prefix)));

  it('is re-established with its subscriptions: events appended meanwhile and after arrive, gapless', async () => {
    const engine = (nodeId: string) => redisEngine({ url: REDIS_URL, prefix, nodeId, leaseTtlMs: 2_000 });
    const a = await harness.start({ controlToken: CONTROL, engine: engine('kill-a'), heartbeat: { enabled: false } });
    const b = await harness.start({ controlToken: CONTROL, engine: engine('kill-b'), heartbeat: { enabled: false } });
    const reader = await harness.client(a);
    const joined = ok(await reader.request('join', { sessionId: 'killed', since: 0 }));
    const ctl = await harness.client(b, { controlToken: CONTROL });
    ok(await ctl.request('control', { type: 'session.append', sessionId: 'killed', events: [message(1)] }));
    await reader.rec.untilSeq('killed', 1);

    // Kill both of A's connections from the Redis side.
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line: string) => / name=agent-gateway:kill-a:(sub|cmd) /.test(line))
      .map((line: string) => /\bid=(\d+)/.exec(line)![1]!);
    expect(ids).toHaveLength(2);
    for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
    // Appended while A is reconnecting: its subscription misses the message; the catch-up must not.
    ok(await ctl.request('control', { type: 'session.append', sessionId: 'killed', events: [message(2), message(3)] }));
    const health = () => fetch(`${a.url}/healthz`).then((r) => r.status);
    await until(() => reader.rec.frames('killed').some((f) => f.seq === 3), 'the events appended during the reconnection');
    await expect(health()).resolves.toBe(200);
    // After the reconnection, published events reach A through its restored subscription.
    ok(await ctl.request('control', { type: 'session.append', sessionId: 'killed', events: [message(4)] }));
    await reader.rec.untilSeq('killed', 4);
    const frames = reader.rec.frames('killed');
    expect(assertGapless(frames, 0)).toBe(4);
    expect(frames.every((f) => f.epoch === joined.epoch)).toBe(true);
    // And A's command connection works again.
    const sent = ok(await reader.request('chat.send', { sessionId: 'killed', text: 'after', idempotencyKey: 'after-kill' }));
    expect(sent.duplicate).toBe(false);
  });
});

/** A private redis-server for this test, on a free port, without persistence. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('Ready to accept connections')) return child;
  }
  throw new Error(`redis-server on port ${port} did not start: ${out}`);
}

describe('Redis going away and coming back', () => {
  const harness = createHarness();
  let redis: ChildProcess | undefined;
  afterEach(async () => {
    await harness.closeAll();
    if (redis && redis.exitCode === null) {
      redis.kill('SIGKILL');
      await once(redis, 'exit');
    }
  });

  it('answers UNAVAILABLE and reports degraded while it is down, then serves again; a lost log is a resync, never a partial replay', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const gateway = await harness.start({
      controlToken: CONTROL,
      heartbeat: { enabled: false },
      engine: redisEngine({ url, nodeId: 'outage', leaseTtlMs: 2_000, commandTimeoutMs: 1_000 }),
    });
    const client = await harness.client(gateway);
    const joined = ok(await client.request('join', { sessionId: 'outage', since: 0 }));
    const sent = ok(await client.request('chat.send', { sessionId: 'outage', text: 'before', idempotencyKey: 'before' }));
    await client.rec.untilEvent('outage', (f) => f.event.type === 'run.end' && f.event.runId === sent.runId);
    const seenBefore = assertGapless(client.rec.frames('outage'), 0);
    expect((await healthz(gateway)).status).toBe(200);

    redis.kill('SIGTERM');
    await once(redis, 'exit');
    const refused = await client.request('chat.send', { sessionId: 'outage', text: 'during', idempotencyKey: 'during' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
    const resume = await client.request('join', { sessionId: 'outage', since: seenBefore, epoch: joined.epoch });
    expect(resume).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
    const list = await client.request('sessions.list', {});
    expect(list).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    const degraded = await healthz(gateway);
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', reasons: [expect.stringContaining('redis unreachable')] });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^agent_gateway_store_up 0$/m);
    expect(Number(/^agent_gateway_store_unavailable_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);

    // Back, empty (no persistence): the gateway reconnects by itself.
    redis = await startRedis(port);
    const deadline = Date.now() + 10_000;
    while ((await healthz(gateway)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the gateway did not recover');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const again = ok(await client.request('join', { sessionId: 'outage', since: seenBefore, epoch: joined.epoch }));
    // Redis lost the log: the only honest answer is a resync with its reason.
    expect(again).toMatchObject({ resyncRequired: true, reason: 'epoch-mismatch' });
    expect(again.epoch).not.toBe(joined.epoch);
    const after = ok(await client.request('chat.send', { sessionId: 'outage', text: 'after', idempotencyKey: 'after' }));
    await client.rec.untilEvent('outage', (f) => f.event.type === 'run.end' && f.event.runId === after.runId);
    const newEpoch = client.rec.frames('outage').filter((f) => f.epoch === again.epoch);
    assertGapless(newEpoch, again.cursor);
  }, 60_000);
});
