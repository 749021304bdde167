import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../log/unavailable.js';
import { LOG_SCRIPTS } from './scripts.js';
import { CLUSTER_SCRIPTS } from './cluster-scripts.js';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** A command that has not been answered after this long fails with UNAVAILABLE (default 5 s). */
  commandTimeoutMs?: number;
  /** Shown by Redis CLIENT LIST as `<name>:cmd` and `<name>:sub` (default `agent-gateway`). */
  name?: string;
  /** Extra ioredis options (TLS, sentinels ...); the gateway's own settings below take precedence. */
  redisOptions?: RedisOptions;
}

export interface RedisHealth {
  ok: boolean;
  /** Why not, in words (absent when ok). */
  reason?: string;
}

type ScriptName = keyof typeof LOG_SCRIPTS | keyof typeof CLUSTER_SCRIPTS;
type ScriptReply = unknown;

/** Reply errors that mean "not now" rather than "wrong": the server is there but cannot serve. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/**
 * The gateway's two connections to Redis: one for commands and scripts, one subscriber. Settings
 * chosen for a gateway that must never act on a guess:
 * - no offline queue and no automatic resend: a command issued while the connection is down fails
 *   at once (the request answers UNAVAILABLE) instead of running later, perhaps twice;
 * - a command timeout, so a stalled server is reported instead of hanging requests;
 * - endless reconnection with capped back-off; ioredis resubscribes the subscriber's channels, and
 *   `onReady` lets the engine confirm the subscriptions and catch up on what it missed.
 */
export class RedisConnection {
  readonly command: Redis;
  readonly subscriber: Redis;
  /** Failures that reached a caller as UNAVAILABLE, and reconnections (monotonic). */
  readonly counters = { unavailable: 0, reconnects: 0 };
  private lastError: string | undefined;

  constructor(options: RedisConnectionOptions) {
    const settings: RedisOptions = {
      ...options.redisOptions,
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
      autoResubscribe: true,
    };
    const name = options.name ?? 'agent-gateway';
    this.command = new Redis(options.url, { ...settings, connectionName: `${name}:cmd` });
    // The subscriber never runs commands that could be resent twice; its queue may wait for the link.
    this.subscriber = new Redis(options.url, { ...settings, enableOfflineQueue: true, commandTimeout: undefined, connectionName: `${name}:sub` });
    for (const name of Object.keys(LOG_SCRIPTS) as Array<keyof typeof LOG_SCRIPTS>) {
      this.command.defineCommand(name, { numberOfKeys: 5, lua: LOG_SCRIPTS[name] });
    }
    for (const [name, script] of Object.entries(CLUSTER_SCRIPTS)) {
      this.command.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
    }
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => (this.lastError = error.message));
      client.on('reconnecting', () => (this.counters.reconnects += 1));
    }
  }

  /** Connect both; fails (UNAVAILABLE) when Redis does not answer. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.command.connect(), this.subscriber.connect()]);
    } catch (error) {
      // No reconnection attempts in the background of a start that failed.
      this.command.disconnect();
      this.subscriber.disconnect();
      throw this.unavailable(error);
    }
  }

  /** Called every time the subscriber is (again) ready, after ioredis re-sent its subscriptions. */
  onReady(listener: () => void): void {
    this.subscriber.on('ready', listener);
  }

  health(): RedisHealth {
    const down = [this.command, this.subscriber].filter((c) => c.status !== 'ready');
    if (down.length === 0) return { ok: true };
    const which = down.map((c) => `${c === this.command ? 'command' : 'subscriber'} connection ${c.status}`).join(', ');
    return { ok: false, reason: `redis unreachable: ${which}${this.lastError ? ` (${this.lastError})` : ''}` };
  }

  /** Run a defined script; connection trouble becomes StoreUnavailableError. */
  script(name: ScriptName, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<ScriptReply> {
    const run = (this.command as unknown as Record<ScriptName, (...a: Array<string | number>) => Promise<ScriptReply>>)[name];
    return this.guard(() => run.call(this.command, ...keys, ...args) as Promise<ScriptReply>);
  }

  /** Run anything against the command connection; connection trouble becomes StoreUnavailableError. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ReplyError && !TRANSIENT_REPLY.test((error as Error).message)) throw error;
      throw this.unavailable(error);
    }
  }

  private unavailable(error: unknown): StoreUnavailableError {
    this.counters.unavailable += 1;
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = message;
    return new StoreUnavailableError(`Redis is unavailable: ${message}`, 1_000, { cause: error });
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.command, this.subscriber].map(async (client) => {
        if (client.status === 'end') return;
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
  }
}
