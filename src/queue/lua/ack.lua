--[[
ack: deletes a message the worker holds. Nothing about the message remains: its hash and lease entries go,
and Redis deletes the worker's in-flight set when it becomes empty. Running it twice: the second returns 0.

KEYS[1]  all leases (ZSET)
KEYS[2]  the worker's in-flight set (ZSET)
KEYS[3]  the message (HASH)
ARGV[1]  worker id
ARGV[2]  message id

Returns  1 when deleted, 0 when this worker does not hold the message (any more).
]]
if redis.call('HGET', KEYS[3], 'w') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
