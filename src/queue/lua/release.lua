--[[
release: hands a message the worker holds back to its ready queue now, at its original place (same priority
and enqueue time), e.g. when the worker shuts down before starting it. The delivery count is kept. Running it
twice: the second returns 0.

KEYS[1]  all leases (ZSET)
KEYS[2]  the worker's in-flight set (ZSET)
KEYS[3]  the message (HASH)
ARGV[1]  worker id
ARGV[2]  message id
ARGV[3]  ready queue key prefix (ready key = prefix .. queue name)
ARGV[4]  ready-by-age key prefix

Returns  1 when handed back, 0 when this worker does not hold the message.
]]
local fields = redis.call('HMGET', KEYS[3], 'w', 'q', 'm', 'pr', 't')
if fields[1] ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[3], 'w', 'dl')
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', ARGV[3] .. fields[2], -tonumber(fields[4]), fields[3])
redis.call('ZADD', ARGV[4] .. fields[2], fields[5], ARGV[2])
return 1
