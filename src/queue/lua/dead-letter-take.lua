--[[
dead-letter-take: removes one dead-letter entry by its entry id and, for 'retry', puts its message back on its
queue with the delivery count reset (a no-op enqueue when a message with that id exists). Running it twice:
the second finds no entry and returns nil.

KEYS[1]  dead-letter list of the queue (LIST of JSON entries)
KEYS[2]  known queue names (SET)
ARGV[1]  entry id
ARGV[2]  'retry' or 'drop'
ARGV[3]  message key prefix
ARGV[4]  ready queue key prefix
ARGV[5]  ready-by-age key prefix
ARGV[6]  the payload limit entries were cut to (for the error text)

Returns  nil when there is no such entry; else the message id ('dead-letter:<entry id>' for an entry recorded
         without one; '' for a dropped entry without one).
Errors   DAGBRIDGE_INVALID_ARGUMENT for an action other than retry or drop, or to retry an entry whose payload
         was cut (payloadTruncated): it stays on the list.
]]
if ARGV[2] ~= 'retry' and ARGV[2] ~= 'drop' then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT action must be retry or drop, got ' .. ARGV[2])
end
local needle = '"entryId":"' .. ARGV[1] .. '"'
local raw_entry, entry
for _, candidate in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if string.find(candidate, needle, 1, true) then
    local decoded = cjson.decode(candidate)
    if decoded.entryId == ARGV[1] then
      raw_entry, entry = candidate, decoded
      break
    end
  end
end
if not entry then
  return false
end
if ARGV[2] == 'retry' and entry.payloadTruncated == true then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT dead letter ' .. ARGV[1] .. ' kept only the first ' .. ARGV[6] .. ' bytes of its payload, so it cannot be put back; drop it')
end
redis.call('LREM', KEYS[1], 1, raw_entry)

local id = entry.id
if ARGV[2] == 'drop' then
  if id == cjson.null then
    return ''
  end
  return id
end
if id == cjson.null then
  id = 'dead-letter:' .. ARGV[1]
end
local message_key = ARGV[3] .. id
if redis.call('EXISTS', message_key) == 1 then
  return id
end
local priority = tonumber(entry.priority) or 0
local t = redis.call('TIME')
local member = string.format('%010d%06d', tonumber(t[1]), tonumber(t[2])) .. ':' .. id
local enqueued_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', message_key, 'q', entry.queue, 'p', entry.payload, 'm', member, 'pr', tostring(entry.priority), 'd', 0, 't', enqueued_ms)
redis.call('ZADD', ARGV[4] .. entry.queue, -priority, member)
redis.call('ZADD', ARGV[5] .. entry.queue, enqueued_ms, id)
redis.call('SADD', KEYS[2], entry.queue)
return id
