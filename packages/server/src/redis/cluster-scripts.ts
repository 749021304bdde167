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
  /**
   * KEYS: row, rowRevision. ARGV: createdAt, base row JSON (stored when the session has no row yet),
   * patch JSON, patch JSON applied first and only when the stored row shows no active run ('' for
   * none). Merge the patches into the row as stored (not as one gateway last saw it), clear the
   * projection of a terminal row, store it; returns { revision, row JSON }. A gateway whose copy of
   * the row is behind another's change can therefore never write the old state back.
   */
  agRowSave: {
    keys: 2,
    lua: `
local stored = redis.call('GET', KEYS[1])
local createdAt = ARGV[1]
local row
if stored then
  local bar = string.find(stored, '|', 1, true)
  createdAt = string.sub(stored, 1, bar - 1)
  row = cjson.decode(string.sub(stored, bar + 1))
else
  row = cjson.decode(ARGV[2])
end
if ARGV[4] ~= '' and row.hasActiveRun ~= true then
  for k, v in pairs(cjson.decode(ARGV[4])) do row[k] = v end
end
for k, v in pairs(cjson.decode(ARGV[3])) do row[k] = v end
if row.status == 'completed' or row.status == 'aborted' or row.status == 'failed' then
  row.hasActiveRun = false
  row.activeRunId = cjson.null
end
local encoded = cjson.encode(row)
redis.call('SET', KEYS[1], createdAt .. '|' .. encoded)
return { redis.call('INCR', KEYS[2]), encoded }
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
