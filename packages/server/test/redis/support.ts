/*
 * Real Redis for tests: 127.0.0.1:6379 (REDIS_URL overrides). Every test gets its own key prefix and
 * deletes its keys afterwards; nothing here ever flushes a database. When no Redis answers, the
 * tests fail with a message saying so instead of being skipped.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh prefix: `t:<random>:`. */
export function testPrefix(label = 't'): string {
  return `${label}:${randomBytes(6).toString('hex')}:`;
}

/** A plain client for inspecting and cleaning up; fails clearly when Redis is not there. */
export async function adminClient(url = REDIS_URL): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `These tests need a Redis server at ${url} (start one with: redis-server --daemonize yes --port 6379 --save "" --appendonly no). ${(error as Error).message}`,
      { cause: error },
    );
  }
  return client;
}

/** Delete every key under a prefix (SCAN, never FLUSH). */
export async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
