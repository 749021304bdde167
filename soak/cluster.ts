/*
 * The gateways of a soak run. One node is the single-node host of the benchmarks (in-memory store);
 * several are processes of ./gateway-node.ts sharing one Redis under a fresh key prefix, which the
 * run can SIGKILL and start again under the same node id. Whatever happens to the run (an error, an
 * exit, Ctrl-C), every child is killed and every key of the prefix is deleted (SCAN + UNLINK, never
 * a flush).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { MutantName } from '@agent-gateway/server/testing';
import { CONTROL_TOKEN, ROOT, rssOf, startGatewayHost, type ServerProcess } from '../bench/lib/processes.js';
import type { NodeSettings } from './gateway-node.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Memory = { memory: NodeJS.MemoryUsage; resources: string[] };

/** What the run needs of one gateway process (the current one, after a restart). */
export interface GatewayNode {
  readonly name: string;
  url: string;
  /** When this node's current process started, relative to nothing (Date.now()). */
  startedAt: number;
  restarts: number;
  memory(): Promise<Memory>;
  rss(): Promise<number>;
}

export interface GatewayConfig {
  demo: { chunkDelayMs: number; toolDelayMs: number };
  heartbeat: { intervalMs: number; retryBaseMs: number; retryMaxMs: number };
  logLevel: string;
}

/** The in-memory gateway of the single-node run. */
export async function startSingleGateway(config: GatewayConfig, mutant: MutantName | undefined): Promise<{ node: GatewayNode; stop(): Promise<void> }> {
  const host: ServerProcess = await startGatewayHost({ ...config, ...(mutant ? { mutant } : {}) });
  const node: GatewayNode = { name: 'gateway', url: host.url, startedAt: Date.now(), restarts: 0, memory: () => host.memory(), rss: () => host.rss() };
  return { node, stop: () => host.stop() };
}

/** A Redis client for the run's own bookkeeping; fails with what to do when no Redis answers. */
export async function connectRedis(url = REDIS_URL): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis reports the refused connection as an event too; the rejection below says it.
  let reason: Error | undefined;
  client.on('error', (error: Error) => (reason ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `the multi-node soak needs a Redis at ${url} (REDIS_URL overrides; start one with: redis-server --daemonize yes --port 6379 --save "" --appendonly no): ${(reason ?? (error as Error)).message}`,
      { cause: error },
    );
  }
  return client;
}

class NodeProcess implements GatewayNode {
  url = '';
  startedAt = 0;
  restarts = -1;
  private child: ChildProcess | undefined;
  private nextId = 0;

  constructor(
    readonly name: string,
    private readonly settings: NodeSettings,
    private readonly live: Set<ChildProcess>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', `${ROOT}soak/gateway-node.ts`, JSON.stringify(this.settings)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      // The transport of the single-node run: ws without bufferutil.
      env: { ...process.env, WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
    });
    this.child = child;
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    const stdout = child.stdout!;
    let output = '';
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.name} did not print its URL within 60 s: ${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /(http:\/\/\S+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        stdout.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]!.replace(/\/$/, ''));
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`node ${this.name} exited (${code}) before printing its URL: ${output}`));
      };
      stdout.on('data', onData);
      child.once('exit', onExit);
    });
    stdout.resume();
    this.startedAt = Date.now();
    this.restarts += 1;
  }

  memory(): Promise<Memory> {
    const child = this.child;
    if (!child || !this.running) return Promise.reject(new Error(`node ${this.name} is not running`));
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const onMessage = (message: Memory & { id: number }) => {
        if (message.id !== id) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ id, cmd: 'memory' });
    });
  }

  rss(): Promise<number> {
    return this.running ? rssOf(this.child!.pid!) : Promise.resolve(0);
  }

  /** SIGKILL: no cleanup of any kind, as a crashed machine. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A clean stop (SIGTERM: the gateway closes and frees its sessions), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface ClusterOptions {
  nodes: number;
  leaseTtlMs: number;
  config: GatewayConfig;
}

/** N gateway processes sharing one Redis under a fresh key prefix. */
export class GatewayCluster {
  readonly prefix = `soak:${randomBytes(6).toString('hex')}:`;
  readonly nodes: NodeProcess[];
  private readonly live = new Set<ChildProcess>();
  private closed = false;
  private readonly onExit = () => {
    for (const child of this.live) child.kill('SIGKILL');
  };

  private constructor(
    readonly redis: Redis,
    readonly options: ClusterOptions,
  ) {
    const names = Array.from({ length: options.nodes }, (_, i) => (options.nodes <= 26 ? String.fromCharCode(97 + i) : `n${i}`));
    this.nodes = names.map(
      (nodeId) =>
        new NodeProcess(
          nodeId,
          { redisUrl: REDIS_URL, prefix: this.prefix, nodeId, leaseTtlMs: options.leaseTtlMs, controlToken: CONTROL_TOKEN, ...options.config },
          this.live,
        ),
    );
    process.on('exit', this.onExit);
  }

  static async start(options: ClusterOptions): Promise<GatewayCluster> {
    const cluster = new GatewayCluster(await connectRedis(), options);
    try {
      await Promise.all(cluster.nodes.map((node) => node.start()));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Members `<sessionId> <runId> <nodeId>` of the runs not yet terminal (the gateway's run index). */
  async activeRuns(nodeId: string): Promise<string[]> {
    const members = await this.redis.zrange(`${this.prefix}{gateway}:active-runs`, '0', '-1');
    return members.filter((member) => member.split(' ')[2] === nodeId);
  }

  /** Stop every node, delete every key of the prefix, disconnect. Safe to call more than once. */
  async close({ kill = false } = {}): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    await Promise.all(this.nodes.map((node) => (kill ? node.kill() : node.stop())));
    process.off('exit', this.onExit);
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', '1000');
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    this.redis.disconnect();
    return deleted;
  }
}
