/*
 * B6: append + fan-out with the sessions in Redis (`--redis`, the engine of
 * `@agent-gateway/server/redis`). The same token stream as B1/B2 (control run.script on the node
 * the control connection uses; the agent's output appended in batches, one Lua script per batch
 * that assigns the seqs, stores and publishes), measured in one run against raw Socket.IO and
 * against the gateway with its in-memory store:
 *   B6.1  one node on Redis, one in-memory node, raw Socket.IO: one session, ten clients;
 *   B6.2  three nodes sharing Redis with the clients spread over them, and one node on Redis with
 *         all of them: one session, B2's hundred clients, a longer stream than B2's (cross-node
 *         fan-out: the other nodes get the events through the session's pub/sub channel).
 * The nodes use a key prefix of their own, deleted at the end. Without a Redis server (REDIS_URL,
 * default redis://127.0.0.1:6379) B6 reports one skipped row instead of failing the benchmark.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startGatewayCli, startRawServer, type ServerProcess } from '../lib/processes.js';
import type { PendingRow, RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';
import { deliveryRate, gatewayTarget, Incomplete, rawTarget, type StreamTarget } from './streams.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const GROUP = 'B6 Redis';

/** A figure, or why it could not be taken in this run. */
type Measured = number | { failed: string };

async function reachableRedis(url: string): Promise<Redis | string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 2_000 });
  // The socket's own error (ECONNREFUSED ...) says more than the rejection ("Connection is closed.").
  let socketError: string | undefined;
  client.on('error', (error: Error) => (socketError ??= error.message));
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    return socketError ?? (error instanceof Error ? error.message : String(error));
  }
}

/** Delete every key under `prefix` (SCAN, never FLUSH: the server may be shared). */
async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Warm every server of `urls` up (one client on each), then take the measurement. */
async function rate(target: StreamTarget, urls: readonly string[], sizes: Sizes, clients: number, chunks: number, tag: string): Promise<Measured> {
  try {
    await deliveryRate(target, urls, 1, urls.length, sizes.warmup, `${tag}-warmup`);
    return await deliveryRate(target, urls, 1, clients, chunks, tag);
  } catch (error) {
    if (error instanceof Incomplete) return { failed: error.message };
    throw error;
  }
}

function row(id: string, label: string, gateway: Measured, raw: Measured, who: [string, string]): RunRow {
  const failed = typeof gateway === 'number' ? (typeof raw === 'number' ? undefined : `${who[1]}: ${raw.failed}`) : `${who[0]}: ${gateway.failed}`;
  return {
    id,
    group: GROUP,
    label,
    unit: 'deliveries/s',
    gateway: typeof gateway === 'number' ? gateway : NaN,
    raw: typeof raw === 'number' ? raw : NaN,
    compare: 'ratio',
    ...(failed ? { failed } : {}),
  };
}

export async function redisRows(sizes: Sizes): Promise<{ rows: RunRow[] } | { pending: PendingRow[] }> {
  const admin = await reachableRedis(REDIS_URL);
  if (typeof admin === 'string') {
    return {
      pending: [
        {
          id: 'B6',
          group: GROUP,
          label: 'append + fan-out with sessions in Redis (one and three gateway nodes)',
          pending: `skipped: no Redis at ${REDIS_URL} (${admin})`,
        },
      ],
    };
  }
  const prefix = `bench-b6:${randomBytes(4).toString('hex')}:`;
  const redisNode = (index: number) => startGatewayCli(['--redis', REDIS_URL, '--redis-prefix', prefix, '--node-id', `b6-node-${index}`]);
  const servers: ServerProcess[] = [];
  const started = async <T extends ServerProcess[]>(...starting: { [K in keyof T]: Promise<T[K]> }): Promise<T> => {
    const settled = await Promise.allSettled(starting);
    for (const result of settled) if (result.status === 'fulfilled') servers.push(result.value);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<ServerProcess>).value) as T;
  };
  try {
    const [raw, memory, first] = await started<[ServerProcess, ServerProcess, ServerProcess]>(startRawServer(), startGatewayCli(), redisNode(1));
    const tenChunks = sizes.streamTen;
    const wideClients = sizes.fanoutClients;
    const wideChunks = sizes.redisFanoutChunks;

    // B6.1: one node, one session, ten clients.
    const rawTen = await rate(rawTarget, [raw.url], sizes, 10, tenChunks, 'b6-ten');
    const memoryTen = await rate(gatewayTarget, [memory.url], sizes, 10, tenChunks, 'b6-ten');
    const redisTen = await rate(gatewayTarget, [first.url], sizes, 10, tenChunks, 'b6-ten');

    // B6.2: the same session shape with B2's hundred clients, on one node and spread over three.
    const rawWide = await rate(rawTarget, [raw.url], sizes, wideClients, wideChunks, 'b6-wide');
    const oneNodeWide = await rate(gatewayTarget, [first.url], sizes, wideClients, wideChunks, 'b6-wide-one');
    const [second, third] = await started<[ServerProcess, ServerProcess]>(redisNode(2), redisNode(3));
    const threeNodesWide = await rate(gatewayTarget, [first.url, second.url, third.url], sizes, wideClients, wideChunks, 'b6-wide-three');

    const ten = `one session, ten clients, ${tenChunks.toLocaleString('en-US')} chunks: deliveries/s`;
    const wide = `one session, ${wideClients} clients, ${wideChunks.toLocaleString('en-US')} chunks: deliveries/s`;
    return {
      rows: [
        row('B6.1', `${ten}, one gateway node on Redis`, redisTen, rawTen, ['redis node', 'raw']),
        row('B6.1.mem', `${ten}, one in-memory gateway node (the B1.2 setup, same run)`, memoryTen, rawTen, ['in-memory node', 'raw']),
        row('B6.1.cost', `${ten}: node on Redis vs in-memory node — raw column: the in-memory node`, redisTen, memoryTen, ['redis node', 'in-memory node']),
        row('B6.2', `${wide}, three gateway nodes on Redis, clients spread over them, the run on the first`, threeNodesWide, rawWide, ['three nodes', 'raw']),
        row('B6.2.one', `${wide}, one gateway node on Redis with every client`, oneNodeWide, rawWide, ['one node', 'raw']),
        row('B6.2.cost', `${wide}: three nodes vs one — raw column: one node on Redis`, threeNodesWide, oneNodeWide, ['three nodes', 'one node']),
      ],
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    // After the nodes stopped: a closing node still writes (its liveness key, its leases).
    await deletePrefix(admin, prefix).finally(() => admin.disconnect());
  }
}
