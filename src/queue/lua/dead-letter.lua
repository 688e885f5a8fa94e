--[[
dead-letter: records a message a worker found malformed on its queue's dead-letter list (newest first,
trimmed to the cap), with the reason.
- With a message id and worker id: the message must be held by that worker; it is taken out of flight and
  deleted atomically, and its stored payload is kept as is. Running it twice: the second returns nil.
- Without: the given raw payload is recorded; the entry id is a hash of queue and the whole payload, and an
  entry with that id already on the list is not added again.
An entry keeps at most ARGV[7] bytes of the payload, with the full length (payloadBytes) and whether it was cut
(payloadTruncated).

KEYS[1]  known queue names (SET)
KEYS[2]  dead-letter list of ARGV[1] (LIST of JSON entries)
KEYS[3]  all leases (ZSET)
KEYS[4]  the worker's in-flight set (ZSET), or any key when no worker is given
KEYS[5]  the message (HASH), or any key when no id is given
ARGV[1]  queue name
ARGV[2]  raw payload (used when no id is given)
ARGV[3]  reason
ARGV[4]  message id, or ''
ARGV[5]  worker id, or ''
ARGV[6]  dead-letter cap per queue (integer >= 1)
ARGV[7]  the most payload bytes an entry keeps (integer >= 1); a longer payload is cut (payload-excerpt)

Returns  the entry id, or nil when the worker does not hold the message (any more).
Errors   DAGBRIDGE_INVALID_ARGUMENT for a bad cap or payload limit, or when the held message is on another queue than ARGV[1].
]]
local cap = tonumber(ARGV[6])
if cap == nil or cap < 1 or cap ~= math.floor(cap) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT the dead-letter cap must be a positive integer, got ' .. ARGV[6])
end
local payload_limit = tonumber(ARGV[7])
if payload_limit == nil or payload_limit < 1 or payload_limit ~= math.floor(payload_limit) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT the dead-letter payload limit must be a positive integer, got ' .. tostring(ARGV[7]))
end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local entry

if ARGV[4] ~= '' then
  local f = redis.call('HMGET', KEYS[5], 'w', 'p', 'pr', 'd', 'q')
  if not f[1] or f[1] ~= ARGV[5] then
    return false
  end
  if f[5] ~= ARGV[1] then
    return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT message ' .. ARGV[4] .. ' is on queue ' .. f[5] .. ', not ' .. ARGV[1])
  end
  local time_text = string.format('%010d%06d', tonumber(t[1]), tonumber(t[2]))
  entry = {
    entryId = string.sub(redis.sha1hex(ARGV[1] .. '\n' .. ARGV[4] .. '\n' .. time_text), 1, 16),
    queue = ARGV[1],
    id = ARGV[4],
    payload = f[2] or '',
    reason = ARGV[3],
    priority = f[3],
    deliveries = tonumber(f[4]),
    deadAt = now_ms,
  }
  redis.call('DEL', KEYS[5])
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZREM', KEYS[4], ARGV[4])
else
  local entry_id = string.sub(redis.sha1hex(ARGV[1] .. '\n' .. ARGV[2]), 1, 16)
  local needle = '"entryId":"' .. entry_id .. '"'
  for _, existing in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    if string.find(existing, needle, 1, true) then
      return entry_id
    end
  end
  entry = {
    entryId = entry_id,
    queue = ARGV[1],
    id = cjson.null,
    payload = ARGV[2],
    reason = ARGV[3],
    priority = '0',
    deliveries = 0,
    deadAt = now_ms,
  }
end

entry.payload, entry.payloadBytes, entry.payloadTruncated = payload_excerpt(entry.payload, payload_limit)
redis.call('LPUSH', KEYS[2], cjson.encode(entry))
redis.call('LTRIM', KEYS[2], 0, cap - 1)
redis.call('SADD', KEYS[1], ARGV[1])
return entry.entryId
