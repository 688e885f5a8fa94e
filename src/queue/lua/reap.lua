--[[
reap: takes messages whose lease deadline has passed away from their holder. Each goes back to its ready
queue at its original place, unless it was already delivered maxDeliveries times: then it goes to its queue's
dead-letter list (newest first, trimmed to the cap) with the reason, and its message is deleted. Examines at
most ARGV[3] leases per run; safe to run twice or from several processes (a reaped lease is gone).

KEYS[1]  all leases (ZSET: member id, score lease deadline ms)
KEYS[2]  known queue names (SET)
ARGV[1]  the time to compare deadlines with, ms; '' for the server clock. A deadline <= now has expired.
ARGV[2]  maxDeliveries (integer >= 1)
ARGV[3]  the most leases examined (integer >= 1)
ARGV[4]  message key prefix
ARGV[5]  worker in-flight key prefix (worker key = prefix .. worker id)
ARGV[6]  ready queue key prefix
ARGV[7]  ready-by-age key prefix
ARGV[8]  dead-letter key prefix (dead key = prefix .. queue name)
ARGV[9]  dead-letter cap per queue (integer >= 1)

Returns  {{id, queue, worker, ...} requeued, flat triples; {dead-letter entry JSON, ...}}
Errors   DAGBRIDGE_INVALID_ARGUMENT for a bad now, maxDeliveries, limit or cap.
]]
local function integer_arg(value, name, min)
  local n = tonumber(value)
  if n == nil or n < min or n ~= math.floor(n) then
    error({ err = 'DAGBRIDGE_INVALID_ARGUMENT ' .. name .. ' must be an integer >= ' .. min .. ', got ' .. tostring(value) })
  end
  return n
end

local t = redis.call('TIME')
local now_ms
if ARGV[1] == '' then
  now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now_ms = integer_arg(ARGV[1], 'now', 0)
end
local max_deliveries = integer_arg(ARGV[2], 'maxDeliveries', 1)
local limit = integer_arg(ARGV[3], 'limit', 1)
local cap = integer_arg(ARGV[9], 'the dead-letter cap', 1)
local time_text = string.format('%010d%06d', tonumber(t[1]), tonumber(t[2]))

local requeued, dead = {}, {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  local message_key = ARGV[4] .. id
  local f = redis.call('HMGET', message_key, 'q', 'p', 'm', 'pr', 'd', 'w', 't')
  redis.call('ZREM', KEYS[1], id)
  if f[6] then
    redis.call('ZREM', ARGV[5] .. f[6], id)
  end
  if f[1] and f[6] then
    local deliveries = tonumber(f[5])
    if deliveries >= max_deliveries then
      local entry = cjson.encode({
        entryId = string.sub(redis.sha1hex(f[1] .. '\n' .. id .. '\n' .. time_text), 1, 16),
        queue = f[1],
        id = id,
        payload = f[2],
        reason = string.format('lease expired after delivery %d of %d (last held by worker %s)', deliveries, max_deliveries, f[6]),
        priority = f[4],
        deliveries = deliveries,
        deadAt = now_ms,
      })
      redis.call('LPUSH', ARGV[8] .. f[1], entry)
      redis.call('LTRIM', ARGV[8] .. f[1], 0, cap - 1)
      redis.call('SADD', KEYS[2], f[1])
      redis.call('DEL', message_key)
      dead[#dead + 1] = entry
    else
      redis.call('HDEL', message_key, 'w', 'dl')
      redis.call('ZADD', ARGV[6] .. f[1], -tonumber(f[4]), f[3])
      redis.call('ZADD', ARGV[7] .. f[1], f[7], id)
      requeued[#requeued + 1] = id
      requeued[#requeued + 1] = f[1]
      requeued[#requeued + 1] = f[6]
    end
  end
end
return { requeued, dead }
