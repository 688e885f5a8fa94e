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
ARGV[10] the most payload bytes a dead-letter entry keeps (integer >= 1; payload-excerpt)

A message hash whose fields do not parse (damaged by hand or by another writer) is deleted, and dead-lettered
with the reason when it names its queue, so one bad entry neither fails the run nor stays behind.

Returns  {{id, queue, worker, ...} requeued, flat triples; {dead-letter entry JSON, ...}}
Errors   DAGBRIDGE_INVALID_ARGUMENT for a bad now, maxDeliveries, limit, cap or payload limit.
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

local payload_limit = integer_arg(ARGV[10], 'the dead-letter payload limit', 1)

local function dead_letter(queue, id, payload, reason, priority, deliveries)
  local entry = {
    entryId = string.sub(redis.sha1hex(queue .. '\n' .. id .. '\n' .. time_text), 1, 16),
    queue = queue,
    id = id,
    reason = reason,
    priority = priority,
    deliveries = deliveries,
    deadAt = now_ms,
  }
  entry.payload, entry.payloadBytes, entry.payloadTruncated = payload_excerpt(payload, payload_limit)
  local encoded = cjson.encode(entry)
  redis.call('LPUSH', ARGV[8] .. queue, encoded)
  redis.call('LTRIM', ARGV[8] .. queue, 0, cap - 1)
  redis.call('SADD', KEYS[2], queue)
  return encoded
end

-- A finite number, or nil (tonumber accepts 'nan' and 'inf').
local function number_field(value)
  local n = tonumber(value)
  if n == nil or n ~= n or n == math.huge or n == -math.huge then return nil end
  return n
end

-- The fields a message hash must hold for it to be requeued; nil when all are sound, else what is wrong.
local function damage(f)
  local wrong = {}
  if type(f[1]) ~= 'string' or f[1] == '' then wrong[#wrong + 1] = 'q (queue) is missing' end
  if type(f[2]) ~= 'string' then wrong[#wrong + 1] = 'p (payload) is missing' end
  if type(f[3]) ~= 'string' or f[3] == '' then wrong[#wrong + 1] = 'm (ready member) is missing' end
  if number_field(f[4]) == nil then wrong[#wrong + 1] = 'pr (priority) is not a number' end
  if number_field(f[5]) == nil then wrong[#wrong + 1] = 'd (deliveries) is not a number' end
  if number_field(f[7]) == nil then wrong[#wrong + 1] = 't (enqueue time) is not a number' end
  if #wrong == 0 then return nil end
  return table.concat(wrong, ', ')
end

local requeued, dead = {}, {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  local message_key = ARGV[4] .. id
  local f = redis.call('HMGET', message_key, 'q', 'p', 'm', 'pr', 'd', 'w', 't')
  redis.call('ZREM', KEYS[1], id)
  if f[6] then
    redis.call('ZREM', ARGV[5] .. f[6], id)
  end
  local holder = f[6] or '(none)'
  local exists = f[1] or f[2] or f[3] or f[4] or f[5] or f[6] or f[7]
  local wrong = exists and damage(f)
  if wrong then
    -- A damaged hash can be neither requeued nor left behind (it would sit in no index forever): it is
    -- deleted, and recorded as a dead letter of its queue when it names one.
    if type(f[1]) == 'string' and f[1] ~= '' then
      if type(f[3]) == 'string' then
        redis.call('ZREM', ARGV[6] .. f[1], f[3])
      end
      redis.call('ZREM', ARGV[7] .. f[1], id)
      dead[#dead + 1] = dead_letter(f[1], id, f[2] or '',
        string.format('damaged message: %s (last held by worker %s)', wrong, holder),
        number_field(f[4]) or 0, number_field(f[5]) or 0)
    end
    redis.call('DEL', message_key)
  elseif exists then
    local deliveries = number_field(f[5])
    local priority = number_field(f[4])
    if deliveries >= max_deliveries then
      dead[#dead + 1] = dead_letter(f[1], id, f[2],
        string.format('lease expired after delivery %d of %d (last held by worker %s)', deliveries, max_deliveries, holder),
        priority, deliveries)
      redis.call('DEL', message_key)
    else
      redis.call('HDEL', message_key, 'w', 'dl')
      redis.call('ZADD', ARGV[6] .. f[1], -priority, f[3])
      redis.call('ZADD', ARGV[7] .. f[1], f[7], id)
      requeued[#requeued + 1] = id
      requeued[#requeued + 1] = f[1]
      requeued[#requeued + 1] = f[6] or ''
    end
  end
end
return { requeued, dead }
