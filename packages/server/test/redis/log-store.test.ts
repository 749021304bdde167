import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisConnection } from '../../src/redis/connection.js';
import { RedisSessionLogStore } from '../../src/redis/log-store.js';
import { describeStoreContract } from '../log/store-contract.js';
import { REDIS_URL, adminClient, deletePrefix, testPrefix } from './support.js';

let admin: Redis;
beforeAll(async () => {
  admin = await adminClient();
});
afterAll(async () => {
  admin?.disconnect();
});

async function connected(): Promise<RedisConnection> {
  const connection = new RedisConnection({ url: REDIS_URL });
  await connection.connect();
  return connection;
}

describeStoreContract('redis', {
  durable: true,
  create: async (retention) => {
    const prefix = testPrefix('contract');
    const store = new RedisSessionLogStore(await connected(), { prefix, retention }, true);
    return {
      store,
      // A second gateway's store: its own connection, the same keys.
      peer: async () => new RedisSessionLogStore(await connected(), { prefix, retention }, true),
      cleanup: async () => void (await deletePrefix(admin, prefix)),
    };
  },
});
