/*
 * Scripts of the cluster coordination (leases and rows). Each touches the keys of one session only
 * (one hash tag), so they run on one slot of a Redis Cluster too.
 */

export interface ClusterScript {
  keys: number;
  lua: string;
}

export const CLUSTER_SCRIPTS = {
  /** KEYS: lease. ARGV: token, ttlMs. Extend the lease if this token holds it: 1, else 0. */
  agLeaseRenew: {
    keys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
  },
  /** KEYS: lease. ARGV: token, channel, message. Free the lease if this token holds it and announce it. */
  agLeaseRelease: {
    keys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`,
  },
  /**
   * KEYS: lease. ARGV: deadNodeId, token, ttlMs. Take the lease over from a gateway that stopped
   * (or take it when free): 1, else 0 (a live gateway holds it).
   */
  agLeaseTakeOver: {
    keys: 1,
    lua: `
local holder = redis.call('GET', KEYS[1])
if (not holder) or string.sub(holder, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`,
  },
  /** KEYS: row, rowRevision. ARGV: row JSON (without revision). Store it; returns the new revision. */
  agRowSave: {
    keys: 2,
    lua: `
local revision = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1])
return revision
`,
  },
  /**
   * KEYS: row, rowRevision. ARGV: channel, header. Publish the row as stored now, so the broadcast
   * always carries what a sessions.list would read: `<header>|<revision>|<row JSON>`.
   */
  agRowPublish: {
    keys: 2,
    lua: `
local row = redis.call('GET', KEYS[1])
if not row then return 0 end
local revision = redis.call('GET', KEYS[2]) or '0'
redis.call('PUBLISH', ARGV[1], ARGV[2] .. '|' .. revision .. '|' .. row)
return 1
`,
  },
} as const satisfies Record<string, ClusterScript>;
