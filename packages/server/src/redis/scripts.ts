/*
 * The Lua scripts of the Redis session log. Each runs atomically on the session's slot, so every
 * gateway sees one order: an append assigns consecutive seqs, writes them to the stream with
 * explicit ids, applies retention and publishes the batch, all in one step. Publish order is
 * therefore seq order on every node.
 *
 * KEYS of every log script: meta, log, finished, open, openByStream (see keys.ts).
 */

/** Reads the meta hash, creating it under ARGV[1] (a fresh epoch) when it is missing. */
const ENSURE_META = `
local meta, log, finished, open, byStream = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function ensure_meta(candidate)
  local m = redis.call('HMGET', meta, 'epoch', 'head', 'oldest', 'events', 'bytes', 'ndEvents', 'ndBytes', 'compacted', 'evicted')
  if m[1] then
    return { epoch = m[1], head = tonumber(m[2]), oldest = tonumber(m[3]), events = tonumber(m[4]), bytes = tonumber(m[5]),
      ndEvents = tonumber(m[6]), ndBytes = tonumber(m[7]), compacted = tonumber(m[8]), evicted = tonumber(m[9]), created = false }
  end
  -- A missing meta key means the log is gone (or never was): a new epoch, whatever is left over.
  redis.call('DEL', log, finished, open, byStream)
  local s = { epoch = candidate, head = 0, oldest = 1, events = 0, bytes = 0, ndEvents = 0, ndBytes = 0, compacted = 0, evicted = 0, created = true }
  redis.call('HSET', meta, 'epoch', s.epoch, 'head', 0, 'oldest', 1, 'events', 0, 'bytes', 0, 'ndEvents', 0, 'ndBytes', 0, 'compacted', 0, 'evicted', 0)
  return s
end
local function save_meta(s)
  redis.call('HSET', meta, 'head', s.head, 'oldest', s.oldest, 'events', s.events, 'bytes', s.bytes,
    'ndEvents', s.ndEvents, 'ndBytes', s.ndBytes, 'compacted', s.compacted, 'evicted', s.evicted)
end
-- Open-stream members end in <seq:16 digits>:<bytes>.
local function split_member(m)
  local colon = #m - string.find(string.reverse(m), ':', 1, true) + 1
  return tonumber(string.sub(m, colon - 16, colon - 1)), tonumber(string.sub(m, colon + 1))
end
-- Remove one retained entry (its stream entry and index members) and account for it.
local function drop_entry(s, seq, fields)
  local size, class, member = 0, 'd', ''
  for i = 1, #fields, 2 do
    local f = fields[i]
    if f == 'b' then size = tonumber(fields[i + 1]) elseif f == 'k' then class = fields[i + 1] elseif f == 'm' then member = fields[i + 1] end
  end
  redis.call('XDEL', log, seq .. '-0')
  s.events = s.events - 1
  s.bytes = s.bytes - size
  if class == 'n' then
    s.ndEvents = s.ndEvents - 1
    s.ndBytes = s.ndBytes - size
    redis.call('ZREM', finished, seq .. ':' .. size)
    if member ~= '' then
      redis.call('ZREM', open, member)
      redis.call('ZREM', byStream, member)
    end
  end
end
local function entry_seq(id)
  return tonumber(string.match(id, '^(%d+)'))
end
`;

/**
 * ARGV: candidateEpoch, maxEvents, maxBytes, maxNonDurableEvents, maxNonDurableBytes, channel ('' = no
 * publish), then per event: json, bytes, class (d|n), openPrefix, closePrefix.
 * Returns { epoch, firstSeq, lastSeq, created (1|0) }.
 */
export const APPEND = `${ENSURE_META}
local s = ensure_meta(ARGV[1])
local maxEvents, maxBytes, maxNd, maxNdBytes = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local channel = ARGV[6]
local first = s.head + 1
local jsons = {}
local function close_streams(prefix)
  local lo, hi = '[' .. prefix, '[' .. prefix .. '\\255'
  local members = redis.call('ZRANGEBYLEX', byStream, lo, hi)
  for _, m in ipairs(members) do
    local seq, size = split_member(m)
    redis.call('ZREM', open, m)
    redis.call('ZADD', finished, seq, seq .. ':' .. size)
  end
  if #members > 0 then redis.call('ZREMRANGEBYLEX', byStream, lo, hi) end
end
for base = 7, #ARGV, 5 do
  local json, size, class, openPrefix, closePrefix = ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  s.head = s.head + 1
  local seq = s.head
  local member = ''
  if class == 'n' then
    s.ndEvents = s.ndEvents + 1
    s.ndBytes = s.ndBytes + size
    if openPrefix ~= '' then
      member = openPrefix .. string.format('%016d', seq) .. ':' .. size
      redis.call('ZADD', open, seq, member)
      redis.call('ZADD', byStream, 0, member)
    else
      redis.call('ZADD', finished, seq, seq .. ':' .. size)
    end
  end
  redis.call('XADD', log, seq .. '-0', 'e', json, 'b', size, 'k', class, 'm', member)
  s.events = s.events + 1
  s.bytes = s.bytes + size
  if closePrefix ~= '' then close_streams(closePrefix) end
  jsons[#jsons + 1] = json
end
-- Non-durable budget: compact finished streams first, then the oldest entry of a running one.
while s.ndEvents > maxNd or s.ndBytes > maxNdBytes do
  local seq, size
  local popped = redis.call('ZPOPMIN', finished)
  if #popped > 0 then
    local m = popped[1]
    local colon = string.find(m, ':', 1, true)
    seq, size = tonumber(string.sub(m, 1, colon - 1)), tonumber(string.sub(m, colon + 1))
  else
    popped = redis.call('ZPOPMIN', open)
    if #popped == 0 then break end
    seq, size = split_member(popped[1])
    redis.call('ZREM', byStream, popped[1])
  end
  redis.call('XDEL', log, seq .. '-0')
  s.events, s.bytes = s.events - 1, s.bytes - size
  s.ndEvents, s.ndBytes = s.ndEvents - 1, s.ndBytes - size
  s.compacted = s.compacted + 1
end
-- Overall bounds: evict the oldest entries and move oldestCursor past them.
while s.events > maxEvents or s.bytes > maxBytes do
  local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
  if #oldest == 0 then break end
  local seq = entry_seq(oldest[1][1])
  drop_entry(s, seq, oldest[1][2])
  s.evicted = s.evicted + 1
  s.oldest = seq + 1
end
save_meta(s)
if channel ~= '' then
  redis.call('PUBLISH', channel, s.epoch .. '|' .. first .. '|[' .. table.concat(jsons, ',') .. ']')
end
return { s.epoch, first, s.head, s.created and 1 or 0 }
`;

/** ARGV: candidateEpoch. Returns { epoch, head, oldest, created }. */
export const HEAD = `${ENSURE_META}
local s = ensure_meta(ARGV[1])
return { s.epoch, s.head, s.oldest, s.created and 1 or 0 }
`;

/**
 * ARGV: candidateEpoch, afterSeq, upToSeq. Returns { epoch, head, oldest, created, entries } where
 * entries are the stream entries with afterSeq < seq <= upToSeq (clamped to the retained window).
 */
export const READ = `${ENSURE_META}
local s = ensure_meta(ARGV[1])
local from = math.max(tonumber(ARGV[2]) + 1, s.oldest)
local to = math.min(tonumber(ARGV[3]), s.head)
local entries = {}
if from <= to then entries = redis.call('XRANGE', log, from .. '-0', to .. '-0') end
return { s.epoch, s.head, s.oldest, s.created and 1 or 0, entries }
`;

/** ARGV: candidateEpoch, oldestCursor. Returns { epoch, head, oldest, created }. */
export const TRIM = `${ENSURE_META}
local s = ensure_meta(ARGV[1])
local target = math.min(math.max(tonumber(ARGV[2]), s.oldest), s.head + 1)
while true do
  local batch = redis.call('XRANGE', log, '-', '(' .. target .. '-0', 'COUNT', 256)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    drop_entry(s, entry_seq(entry[1]), entry[2])
    s.evicted = s.evicted + 1
  end
end
s.oldest = target
save_meta(s)
return { s.epoch, s.head, s.oldest, s.created and 1 or 0 }
`;

/**
 * Replace the log with an empty one under ARGV[1] and tell the channel ARGV[2] (a message with no
 * events and firstSeq 1 announces the new epoch). Returns { epoch, head, oldest }.
 */
export const RECREATE = `
local meta, log, finished, open, byStream = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
redis.call('DEL', meta, log, finished, open, byStream)
redis.call('HSET', meta, 'epoch', ARGV[1], 'head', 0, 'oldest', 1, 'events', 0, 'bytes', 0, 'ndEvents', 0, 'ndBytes', 0, 'compacted', 0, 'evicted', 0)
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[1] .. '|1|[]') end
return { ARGV[1], 0, 1 }
`;

/** The log scripts by command name, for ioredis `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
export const LOG_SCRIPTS = {
  agLogAppend: APPEND,
  agLogHead: HEAD,
  agLogRead: READ,
  agLogTrim: TRIM,
  agLogRecreate: RECREATE,
} as const;
