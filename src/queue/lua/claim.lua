--[[
claim: moves the best ready messages across the given queues (lowest score = highest priority, then the
lowest member = oldest), up to ARGV[5] of them, into the worker's in-flight set with a lease deadline taken
from the server clock, and counts one more delivery of each. A worker asks for as many as it has free slots
(no prefetch), in one round trip; each claimed message is leased exactly as a claim of one would lease it.

KEYS[1]     all leases (ZSET: member id, score lease deadline ms)
KEYS[2]     the worker's in-flight set (ZSET: member id, score lease deadline ms)
KEYS[3..n]  the ready queues to claim from (ZSET), in any order
ARGV[1]     worker id
ARGV[2]     lease length in ms (positive integer)
ARGV[3]     message key prefix (message key = prefix .. id)
ARGV[4]     ready-by-age key prefix (age key = prefix .. queue name)
ARGV[5]     how many messages at most (positive integer; absent: 1)

Returns  a list of claimed messages in claim order, empty when every given queue is empty, each
         {id, payload, queue, priority (string), deliveries, lease deadline ms}.
Errors   DAGBRIDGE_INVALID_ARGUMENT when the lease or the count is not a positive integer.

A member whose message is gone or is not this member's ready message (partial data loss) is dropped and the
next one is tried: the scheduler re-enqueues any queued try whose message is missing.
]]
local lease_ms = tonumber(ARGV[2])
if lease_ms == nil or lease_ms <= 0 or lease_ms ~= math.floor(lease_ms) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT leaseMs must be a positive integer, got ' .. ARGV[2])
end
local count = 1
if ARGV[5] ~= nil then
  count = tonumber(ARGV[5])
  if count == nil or count <= 0 or count ~= math.floor(count) then
    return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT count must be a positive integer, got ' .. ARGV[5])
  end
end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = now_ms + lease_ms
local claimed = {}

-- Each round takes one queue head; a head dropped as stale costs a round, so the bound grows with count.
for _ = 1, 1000 + count do
  if #claimed >= count then
    break
  end
  local best_key, best_member, best_score
  for i = 3, #KEYS do
    local top = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    if top[1] then
      local score = tonumber(top[2])
      if best_key == nil or score < best_score or (score == best_score and top[1] < best_member) then
        best_key, best_member, best_score = KEYS[i], top[1], score
      end
    end
  end
  if best_key == nil then
    break
  end
  redis.call('ZREM', best_key, best_member)
  local id = string.sub(best_member, 18)
  local message_key = ARGV[3] .. id
  local fields = redis.call('HMGET', message_key, 'q', 'p', 'pr', 'm', 'w')
  if fields[1] and fields[4] == best_member and not fields[5] then
    redis.call('ZREM', ARGV[4] .. fields[1], id)
    local deliveries = redis.call('HINCRBY', message_key, 'd', 1)
    redis.call('HSET', message_key, 'w', ARGV[1], 'dl', deadline)
    redis.call('ZADD', KEYS[1], deadline, id)
    redis.call('ZADD', KEYS[2], deadline, id)
    claimed[#claimed + 1] = { id, fields[2], fields[1], fields[3], deliveries, deadline }
  end
end
return claimed
