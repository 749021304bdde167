/**
 * Where everything lives in Redis. All keys of one session share the hash tag `{s:<sessionId>}`,
 * so every script touching a session runs against one slot and the layout works on Redis Cluster
 * unchanged. Gateway-wide keys (the node registry, the run index, the session index) have their
 * own tags and are never used together with a session's keys in one command.
 */
export interface SessionKeys {
  /** HASH: epoch, head seq, oldest retained seq, retention counters. Missing = the log is gone. */
  meta: string;
  /** STREAM: one entry per event, entry id `<seq>-0`; fields e (JSON), b (bytes), k (d|n), m (open-stream member). */
  log: string;
  /** ZSET (score seq): non-durable entries of finished streams, compacted first, oldest first. */
  finished: string;
  /** ZSET (score seq): non-durable entries of streams still open, compacted last, oldest first. */
  open: string;
  /** ZSET (all score 0): the same members by stream, so one stream's entries are found by prefix. */
  openByStream: string;
  /** STRING: the session row (JSON), its revision counted by `rowRevision`. */
  row: string;
  rowRevision: string;
  /** STRING with expiry: `<nodeId> <turnId>` of the gateway running this session's turn. */
  lease: string;
  /** STRING with expiry: the gateway that runs this period's heartbeat of the session. */
  heartbeat: string;
  /** Pub/sub channel of the session: appends (`epoch|firstSeq|[events]`) in seq order. */
  channel: string;
  /** STRING with expiry: the run an idempotency key names. */
  idempotency(key: string): string;
  /** STRING with expiry: a run's record (JSON). */
  run(runId: string): string;
}

export interface GatewayKeys {
  /** STRING: the instance id every node sharing this Redis announces in hello. */
  instance: string;
  /** ZSET (score updatedAt): every session with a row. */
  sessions: string;
  /** ZSET (score 0): `<sessionId> <runId> <nodeId>` of every run not yet terminal. */
  activeRuns: string;
  /** STRING with expiry per node: present while the node is alive. */
  node(nodeId: string): string;
  /** Pub/sub channel of the cluster: row changes, run status, abort requests. */
  cluster: string;
}

export function sessionKeys(prefix: string, sessionId: string): SessionKeys {
  const tag = `${prefix}{s:${sessionId}}`;
  return {
    meta: `${tag}:meta`,
    log: `${tag}:log`,
    finished: `${tag}:nd:finished`,
    open: `${tag}:nd:open`,
    openByStream: `${tag}:nd:by-stream`,
    row: `${tag}:row`,
    rowRevision: `${tag}:row:revision`,
    lease: `${tag}:lease`,
    heartbeat: `${tag}:heartbeat`,
    channel: `${tag}:events`,
    idempotency: (key) => `${tag}:idem:${key}`,
    run: (runId) => `${tag}:run:${runId}`,
  };
}

export function gatewayKeys(prefix: string): GatewayKeys {
  return {
    instance: `${prefix}{gateway}:instance`,
    sessions: `${prefix}{gateway}:sessions`,
    activeRuns: `${prefix}{gateway}:active-runs`,
    node: (nodeId) => `${prefix}{node:${nodeId}}:alive`,
    cluster: `${prefix}{gateway}:cluster`,
  };
}

/** The session id inside a session channel name, or undefined for any other channel. */
export function sessionOfChannel(prefix: string, channel: string): string | undefined {
  const head = `${prefix}{s:`;
  const tail = '}:events';
  if (!channel.startsWith(head) || !channel.endsWith(tail)) return undefined;
  return channel.slice(head.length, channel.length - tail.length);
}
