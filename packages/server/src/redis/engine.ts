import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge } from 'prom-client';
import type { EngineServices, GatewayEngine } from '../engine.js';
import type { GatewayCore } from '../core.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { RedisFeed } from './feed.js';
import { gatewayKeys, sessionKeys } from './keys.js';
import { Leases } from './lease.js';
import { RedisSessionLogStore } from './log-store.js';
import { RedisRows } from './rows.js';
import { RedisRuns } from './runs.js';
import { OrphanSweeper } from './sweeper.js';

export interface RedisEngineOptions extends RedisConnectionOptions {
  /** Prefix of every key and channel (default `ag:`). Gateways sharing sessions use the same one. */
  prefix?: string;
  /** This gateway's name in the cluster (default `<hostname>-<pid>-<random>`): letters, digits, `._:-`. */
  nodeId?: string;
  /**
   * TTL of a session lease (default 10 s; a gateway's liveness key lasts half of it): the runs of a
   * gateway that dies are ended as failed within about 0.75 × this, and its sessions run again.
   */
  leaseTtlMs?: number;
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function defaultNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._:-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 40) || 'gateway';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Share sessions between gateway processes through Redis: `createGateway({ engine: redisEngine({ url }) })`.
 * The engine brings the Redis session log store (streams, one Lua script per append), live fan-out
 * across gateways (pub/sub per session, applied in seq order), one run at a time per session (a
 * lease), the idempotency guard, rows and `hasActiveRun` in Redis, and the end of runs whose gateway
 * died. Clients may connect to any gateway (websocket transport: no sticky sessions needed).
 */
export function redisEngine(options: RedisEngineOptions): GatewayEngine {
  const prefix = options.prefix ?? 'ag:';
  const nodeId = options.nodeId ?? defaultNodeId();
  if (!NODE_ID.test(nodeId)) throw new RangeError(`nodeId must be 1-64 letters, digits or . _ : - (first a letter or digit), got ${JSON.stringify(nodeId)}`);
  const ttlMs = options.leaseTtlMs ?? 10_000;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 100) throw new RangeError('leaseTtlMs must be an integer >= 100');
  return {
    name: 'redis',
    async start(context): Promise<EngineServices> {
      const { logger } = context;
      const log = logger.child({ engine: 'redis', nodeId });
      const connection = new RedisConnection({ ...options, name: options.name ?? `agent-gateway:${nodeId}` });
      await connection.connect();
      const keys = gatewayKeys(prefix);
      const command = connection.command;
      // One instance id for every gateway sharing this Redis: row revisions and run ids stay comparable.
      await command.set(keys.instance, randomUUID(), 'NX');
      const instanceId = (await command.get(keys.instance))!;
      // Liveness lasts half a lease: a stopped gateway is seen as such before its leases expire, so
      // its runs are ended (under its taken-over lease) before any waiting turn can start.
      const alive = () => command.set(keys.node(nodeId), '1', 'PX', Math.max(50, Math.floor(ttlMs / 2)));
      await alive();
      const liveness = setInterval(() => void alive().catch(() => undefined), Math.max(20, Math.floor(ttlMs / 6)));
      liveness.unref();

      const store = new RedisSessionLogStore(connection, { prefix, retention: context.retention });
      const feed = new RedisFeed(connection, prefix, log);
      const rows = new RedisRows(connection, prefix, nodeId, log);
      const runs = new RedisRuns(connection, prefix, nodeId, context.idempotencyWindowMs, log);
      const leases = new Leases(connection, prefix, nodeId, ttlMs, log);
      const sweeper = new OrphanSweeper({ connection, prefix, nodeId, leases, runs, logger: log, intervalMs: Math.max(25, Math.floor(ttlMs / 4)) });
      let core: GatewayCore | undefined;
      let emitRowChange: ((change: Parameters<EngineServices['publishRow']>[0]) => void) | undefined;
      let runCounter = 0;

      const onCluster = (payload: string) => {
        const [kind, from, sessionId] = payload.split('|', 3);
        if (!kind || !from || !sessionId || !core) return;
        const rest = payload.slice(kind.length + from.length + sessionId.length + 3);
        const session = core.sessions.get(sessionId);
        if (kind === 'row') {
          const [reason] = rest.split('|', 1);
          const change = RedisRows.parse(sessionId, reason!, rest.slice(reason!.length + 1));
          // Another gateway's change: this gateway's copy of the row follows it.
          if (session && from !== nodeId && change.row.revision >= session.row.revision) session.row = { ...change.row };
          emitRowChange?.(change);
        } else if (kind === 'run') {
          if (session && from !== nodeId) core.runs.adopt(JSON.parse(rest) as Parameters<GatewayCore['runs']['adopt']>[0]);
        } else if (kind === 'abort') {
          const run = core.runs.getInSession(sessionId, rest);
          if (session && run && run.owner === undefined) void core.lifecycle.abort(session, run);
        } else if (kind === 'lease') {
          leases.heard(sessionId, rest);
        }
      };
      connection.subscriber.on('message', (channel: string, payload: string) => {
        try {
          if (channel === keys.cluster) onCluster(payload);
          else feed.onMessage(channel, payload);
        } catch (error) {
          log.error({ err: error, channel }, 'handling a published message failed');
        }
      });
      await connection.subscriber.subscribe(keys.cluster);
      let connectedOnce = false;
      connection.onReady(() => {
        if (!connectedOnce) return void (connectedOnce = true);
        log.info('redis connection restored: catching up');
        rows.retryUnsaved();
        void feed.resync().catch((error: unknown) => log.warn({ err: error }, 'resubscribing after a reconnection failed'));
      });
      connectedOnce = connection.subscriber.status === 'ready';

      return {
        store,
        instanceId,
        newRunId: () => `run-${Date.now().toString(36)}-${(++runCounter).toString(36)}-${nodeId}`.slice(0, 128),
        feed,
        rows,
        laneGate: (sessionId) => leases.gate(sessionId),
        coordinator: runs,
        catchUp: (session, head) => feed.catchUp(session, head),
        runChanged: (run) => runs.changed(run),
        claimHeartbeat: async (sessionId, intervalMs) =>
          // Slightly shorter than the period, so the next period's tick finds the claim gone.
          (await command.set(sessionKeys(prefix, sessionId).heartbeat, nodeId, 'PX', Math.max(1, Math.floor(intervalMs * 0.8)), 'NX')) === 'OK',
        publishRow: (change) => rows.publish(change),
        health: () => connection.health(),
        bind(binding) {
          core = binding.core;
          emitRowChange = binding.emitRowChange;
          feed.bind(binding.core.fanout);
          sweeper.start(binding.core);
          registerMetrics(binding.metrics, connection, feed, sweeper);
        },
        async close() {
          sweeper.stop();
          clearInterval(liveness);
          await feed.close();
          // A clean stop frees this gateway's sessions at once instead of after the TTL.
          await command.del(keys.node(nodeId)).catch(() => undefined);
          await connection.close();
        },
      };
    },
  };
}

function registerMetrics(registry: import('prom-client').Registry, connection: RedisConnection, feed: RedisFeed, sweeper: OrphanSweeper): void {
  new Gauge({
    name: 'agent_gateway_store_up',
    help: '1 while both Redis connections are ready, 0 while either is down.',
    registers: [registry],
    collect() {
      this.set(connection.health().ok ? 1 : 0);
    },
  });
  const mirrored = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read();
        if (value > seen) this.inc(value - seen);
        seen = value;
      },
    });
  };
  mirrored('agent_gateway_store_unavailable_total', 'Operations refused because Redis was unreachable.', () => connection.counters.unavailable);
  mirrored('agent_gateway_store_reconnects_total', 'Reconnection attempts to Redis.', () => connection.counters.reconnects);
  mirrored('agent_gateway_cluster_catchups_total', 'Log reads filling what the session channels did not bring.', () => feed.counters.catchUps);
  mirrored('agent_gateway_cluster_lost_events_total', 'Events evicted before this gateway could deliver them live.', () => feed.counters.lost);
  mirrored('agent_gateway_orphaned_runs_ended_total', 'Runs of stopped gateways this gateway ended as failed.', () => sweeper.ended);
}
