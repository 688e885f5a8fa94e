--[[
enqueue: puts one message on its ready queue, unless a message with that id exists (ready or in flight).
Idempotent per id: running it twice leaves one message at its first place.

KEYS[1]  known queue names (SET)
KEYS[2]  ready queue of ARGV[1] (ZSET: score -priority, member <enqueue time 16 digits>:<id>)
KEYS[3]  ready-by-age index of ARGV[1] (ZSET: score enqueue ms, member id)
KEYS[4]  the message (HASH)
ARGV[1]  queue name
ARGV[2]  message id
ARGV[3]  payload (stored as is)
ARGV[4]  priority (integer, higher first)

Returns  1 when enqueued, 0 when the id already existed (nothing changed).
Errors   DAGBRIDGE_INVALID_ARGUMENT when the priority is not an integer.
]]
local priority = tonumber(ARGV[4])
if priority == nil or priority ~= math.floor(priority) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT priority must be an integer, got ' .. ARGV[4])
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return 0
end
local t = redis.call('TIME')
local member = string.format('%010d%06d', tonumber(t[1]), tonumber(t[2])) .. ':' .. ARGV[2]
local enqueued_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[4], 'q', ARGV[1], 'p', ARGV[3], 'm', member, 'pr', ARGV[4], 'd', 0, 't', enqueued_ms)
redis.call('ZADD', KEYS[2], -priority, member)
redis.call('ZADD', KEYS[3], enqueued_ms, ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
