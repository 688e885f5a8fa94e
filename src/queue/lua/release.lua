--[[
release: hands a message the worker holds back to its ready queue now, at its original place (same priority
and enqueue time), e.g. when the worker shuts down before starting it. The delivery count is kept, or taken back
by one (never below 0) with ARGV[5] = 1: the claim handed out nothing (the worker could not start it because its
store was down). Running it twice: the second returns 0.

KEYS[1]  all leases (ZSET)
KEYS[2]  the worker's in-flight set (ZSET)
KEYS[3]  the message (HASH)
ARGV[1]  worker id
ARGV[2]  message id
ARGV[3]  ready queue key prefix (ready key = prefix .. queue name)
ARGV[4]  ready-by-age key prefix
ARGV[5]  1 to take back the claim's delivery count, 0 (or absent) to keep it

Returns  1 when handed back, 0 when this worker does not hold the message.
]]
local fields = redis.call('HMGET', KEYS[3], 'w', 'q', 'm', 'pr', 't')
if fields[1] ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[3], 'w', 'dl')
if ARGV[5] == '1' and (tonumber(redis.call('HGET', KEYS[3], 'd')) or 0) > 0 then
  redis.call('HINCRBY', KEYS[3], 'd', -1)
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', ARGV[3] .. fields[2], -tonumber(fields[4]), fields[3])
redis.call('ZADD', ARGV[4] .. fields[2], fields[5], ARGV[2])
return 1
