import { isDurableEvent, isTerminalToolPhase, type SessionEvent } from '@agent-gateway/schema';
import { newEpoch } from '../log/epoch.js';
import { resolveRetention, type ResolvedRetention, type RetentionOptions } from '../log/retention.js';
import type { LogEntry, LogHead, LogStats, SessionLog, SessionLogStore } from '../log/session-log.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { sessionKeys, type SessionKeys } from './keys.js';

/** Length-prefixed, so no id can be a prefix of another one: `<bytes>:<text>`. */
function part(text: string): string {
  return `${Buffer.byteLength(text, 'utf8')}:${text}`;
}

/**
 * How retention sees an event, computed here from the schema's rules so the Lua script stays
 * generic: its class, the open stream it belongs to (non-durable chunks and tool updates) and the
 * streams it closes (stream.end its stream, a terminal tool phase its call, run.end its whole run).
 */
export function retentionArgs(event: SessionEvent): { json: string; bytes: number; durable: boolean; openPrefix: string; closePrefix: string } {
  const json = JSON.stringify(event);
  const durable = isDurableEvent(event);
  let openPrefix = '';
  let closePrefix = '';
  if (event.type === 'stream.chunk') openPrefix = part(event.runId) + part(`s${event.streamId}`);
  else if (event.type === 'tool') {
    if (!durable) openPrefix = part(event.runId) + part(`t${event.toolCallId}`);
    if (isTerminalToolPhase(event.phase)) closePrefix = part(event.runId) + part(`t${event.toolCallId}`);
  } else if (event.type === 'stream.end') closePrefix = part(event.runId) + part(`s${event.streamId}`);
  else if (event.type === 'run.end') closePrefix = part(event.runId);
  return { json, bytes: Buffer.byteLength(json, 'utf8'), durable, openPrefix: durable ? '' : openPrefix, closePrefix };
}

type StreamEntry = [id: string, fields: string[]];

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function toEntry([id, fields]: StreamEntry): LogEntry {
  return { seq: Number.parseInt(id, 10), event: JSON.parse(fieldOf(fields, 'e') ?? 'null') as SessionEvent };
}

function logKeys(keys: SessionKeys): string[] {
  return [keys.meta, keys.log, keys.finished, keys.open, keys.openByStream];
}

/**
 * One session's log in Redis (see keys.ts for the layout, scripts.ts for the scripts). Nothing is
 * cached: every call reads or changes Redis, so any number of gateways may hold the same log.
 */
export class RedisSessionLog implements SessionLog {
  private readonly keys: SessionKeys;
  /** The epoch of the last answer from Redis (a gateway compares it to what it delivered). */
  epoch: string | undefined;

  constructor(
    readonly sessionId: string,
    private readonly connection: RedisConnection,
    prefix: string,
    private readonly retention: ResolvedRetention,
  ) {
    this.keys = sessionKeys(prefix, sessionId);
  }

  async append(events: readonly SessionEvent[]): Promise<LogEntry[]> {
    if (events.length === 0) return [];
    const r = this.retention;
    const args: Array<string | number> = [newEpoch(), r.maxEvents, r.maxBytes, r.maxNonDurableEvents, r.maxNonDurableBytes, this.keys.channel];
    for (const event of events) {
      const a = retentionArgs(event);
      args.push(a.json, a.bytes, a.durable ? 'd' : 'n', a.openPrefix, a.closePrefix);
    }
    const [epoch, first] = (await this.connection.script('agLogAppend', logKeys(this.keys), args)) as [string, number, number, number];
    this.epoch = epoch;
    return events.map((event, i) => ({ seq: first + i, event }));
  }

  async head(): Promise<LogHead> {
    const [epoch, cursor, oldestCursor] = (await this.connection.script('agLogHead', logKeys(this.keys), [newEpoch()])) as [string, number, number, number];
    this.epoch = epoch;
    return { epoch, cursor, oldestCursor };
  }

  /** read() with the head it was read at, in one atomic step (for catching up across gateways). */
  async readWithHead(afterSeq: number, upToSeq: number): Promise<{ head: LogHead; entries: LogEntry[] }> {
    const reply = (await this.connection.script('agLogRead', logKeys(this.keys), [newEpoch(), afterSeq, upToSeq])) as [
      string,
      number,
      number,
      number,
      StreamEntry[],
    ];
    const [epoch, cursor, oldestCursor, , entries] = reply;
    this.epoch = epoch;
    return { head: { epoch, cursor, oldestCursor }, entries: entries.map(toEntry) };
  }

  async read(afterSeq: number, upToSeq: number): Promise<LogEntry[]> {
    return (await this.readWithHead(afterSeq, upToSeq)).entries;
  }

  async durable(): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    let from = '-';
    for (;;) {
      const page = (await this.connection.guard(() => this.connection.command.xrange(this.keys.log, from, '+', 'COUNT', 1_000))) as StreamEntry[];
      for (const entry of page) if (fieldOf(entry[1], 'k') === 'd') out.push(toEntry(entry));
      if (page.length < 1_000) return out;
      from = `(${page[page.length - 1]![0]}`;
    }
  }

  async trim(oldestCursor: number): Promise<LogHead> {
    const [epoch, cursor, oldest] = (await this.connection.script('agLogTrim', logKeys(this.keys), [newEpoch(), oldestCursor])) as [
      string,
      number,
      number,
      number,
    ];
    this.epoch = epoch;
    return { epoch, cursor, oldestCursor: oldest };
  }

  async stats(): Promise<LogStats> {
    const values = await this.connection.guard(() =>
      this.connection.command.hmget(this.keys.meta, 'events', 'bytes', 'ndEvents', 'ndBytes', 'compacted', 'evicted'),
    );
    const [retainedEvents, retainedBytes, nonDurableEvents, nonDurableBytes, compactedEvents, evictedEvents] = values.map((v) => Number(v ?? 0));
    return {
      retainedEvents: retainedEvents!,
      retainedBytes: retainedBytes!,
      nonDurableEvents: nonDurableEvents!,
      nonDurableBytes: nonDurableBytes!,
      compactedEvents: compactedEvents!,
      evictedEvents: evictedEvents!,
    };
  }

  /** Replace the log with an empty one under a new epoch, announced on the session's channel. */
  async recreate(): Promise<LogHead> {
    const [epoch, cursor, oldestCursor] = (await this.connection.script('agLogRecreate', logKeys(this.keys), [newEpoch(), this.keys.channel])) as [
      string,
      number,
      number,
    ];
    this.epoch = epoch;
    return { epoch, cursor, oldestCursor };
  }
}

export interface RedisStoreOptions {
  /** Key prefix of everything this store writes (default `ag:`). */
  prefix?: string;
  retention?: RetentionOptions;
}

/**
 * The durable, shared session log store: per session a stream (entry id = seq) and a meta hash
 * under one hash tag. Epoch and history survive gateway restarts; `release` keeps the log.
 */
export class RedisSessionLogStore implements SessionLogStore {
  readonly prefix: string;
  private readonly retention: ResolvedRetention;

  constructor(
    private readonly connection: RedisConnection,
    options: RedisStoreOptions = {},
    private readonly ownsConnection = false,
  ) {
    this.prefix = options.prefix ?? 'ag:';
    this.retention = resolveRetention(options.retention);
  }

  async open(sessionId: string): Promise<RedisSessionLog> {
    const log = new RedisSessionLog(sessionId, this.connection, this.prefix, this.retention);
    // Creates the meta hash (a new epoch) when the session is new or Redis lost it.
    await log.head();
    return log;
  }

  async recreate(sessionId: string): Promise<RedisSessionLog> {
    const log = new RedisSessionLog(sessionId, this.connection, this.prefix, this.retention);
    await log.recreate();
    return log;
  }

  async release(): Promise<void> {
    // Durable: the log stays in Redis; a later open continues it.
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }
}

/**
 * A Redis session log store on its own connection, for `createGateway({ store })` on one node.
 * Several gateways sharing sessions need the whole engine (`redisEngine`): live fan-out across
 * nodes, one run at a time per session, shared rows and idempotency.
 */
export async function redisStore(options: RedisStoreOptions & RedisConnectionOptions): Promise<RedisSessionLogStore> {
  const connection = new RedisConnection(options);
  await connection.connect();
  return new RedisSessionLogStore(connection, options, true);
}
