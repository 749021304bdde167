import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { MemorySessionLogStore, resolveRetention } from '../../src/log/index.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { RedisRows } from '../../src/redis/rows.js';
import { Session } from '../../src/sessions/session.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

/*
 * Session rows shared by gateways: a gateway whose copy of a row missed another gateway's change
 * must not write the old state back (R4.2 across nodes: a finished run is never shown active again).
 */
describe('session rows in Redis', () => {
  let admin: Redis;
  const prefix = testPrefix('rows');
  const connections: RedisConnection[] = [];
  const logs = new MemorySessionLogStore(resolveRetention(undefined));

  beforeAll(async () => {
    admin = await adminClient();
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await deletePrefix(admin, prefix);
    admin.disconnect();
  });

  async function gateway(nodeId: string): Promise<RedisRows> {
    const connection = new RedisConnection({ url: REDIS_URL });
    await connection.connect();
    connections.push(connection);
    return new RedisRows(connection, prefix, nodeId, pino({ enabled: false }));
  }

  async function session(id: string): Promise<Session> {
    return new Session(id, await logs.open(id), 'epoch-1', { idle: () => undefined, failed: () => undefined }, 1_000);
  }

  /** Wait until the saves issued so far are stored (they are sent in order on one connection). */
  async function stored(rows: RedisRows, id: string) {
    for (let i = 0; i < 100; i++) {
      const row = await rows.load(id);
      if (row) return row.row;
    }
    throw new Error(`no row for ${id}`);
  }

  it('applies a change to the row as stored, so a gateway behind another one never revives a finished run', async () => {
    const [a, b] = await Promise.all([gateway('a'), gateway('b')]);
    const onA = await session('s1');
    const onB = await session('s1');
    a.save(onA, { patch: {} });
    // Both gateways saw run r1 start.
    const running = { status: 'running' as const, hasActiveRun: true, activeRunId: 'r1' };
    a.save(onA, { patch: { ...running, updatedAt: 2_000 } });
    onB.row = { ...onB.row, ...running, revision: 2 };
    // Gateway a ends r1; gateway b has not heard of it yet and queues r2 behind "r1".
    a.save(onA, { patch: { status: 'completed', hasActiveRun: false, activeRunId: null, lastRunId: 'r1', updatedAt: 3_000 } });
    await stored(a, 's1');
    b.save(onB, { patch: { updatedAt: 4_000 }, whenIdle: { status: 'queued', hasActiveRun: true, activeRunId: 'r2' } });
    await expect.poll(async () => (await b.load('s1'))?.row.revision).toBe(4);
    const row = (await b.load('s1'))!.row;
    // Not r1 again: r2, queued, as the run that is waiting now.
    expect(row).toMatchObject({ status: 'queued', hasActiveRun: true, activeRunId: 'r2', lastRunId: 'r1', updatedAt: 4_000, revision: 4 });
    // b's copy follows what was stored.
    await expect.poll(() => onB.row).toMatchObject({ status: 'queued', activeRunId: 'r2', revision: 4 });
  });

  it('leaves a row showing another active run as it is when a run queues behind it', async () => {
    const [a, b] = await Promise.all([gateway('a'), gateway('b')]);
    const onA = await session('s2');
    const onB = await session('s2');
    a.save(onA, { patch: { status: 'running', hasActiveRun: true, activeRunId: 'r1', updatedAt: 2_000 } });
    await stored(a, 's2');
    b.save(onB, { patch: { updatedAt: 3_000 }, whenIdle: { status: 'queued', hasActiveRun: true, activeRunId: 'r2' } });
    await expect.poll(async () => (await b.load('s2'))?.row.revision).toBe(2);
    expect((await b.load('s2'))!.row).toMatchObject({ status: 'running', hasActiveRun: true, activeRunId: 'r1', updatedAt: 3_000 });
  });

  it('never stores a terminal row as active, whatever the patch says', async () => {
    const a = await gateway('a');
    const onA = await session('s3');
    a.save(onA, { patch: { status: 'failed', hasActiveRun: true, activeRunId: 'r9', updatedAt: 2_000 } });
    await expect.poll(async () => (await a.load('s3'))?.row).toMatchObject({ status: 'failed', hasActiveRun: false, activeRunId: null });
  });
});
