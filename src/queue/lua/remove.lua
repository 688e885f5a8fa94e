--[[
remove: deletes one message wherever it is (ready or in flight), for a message the scheduler knows is
obsolete. A worker holding it learns on its next renew (the id is reported lost). Running it twice: the
second returns 0.

KEYS[1]  all leases (ZSET)
KEYS[2]  the message (HASH)
ARGV[1]  message id
ARGV[2]  ready queue key prefix
ARGV[3]  ready-by-age key prefix
ARGV[4]  worker in-flight key prefix

Returns  1 when deleted, 0 when there was no such message.
]]
local f = redis.call('HMGET', KEYS[2], 'q', 'm', 'w')
if not f[1] then
  return 0
end
redis.call('ZREM', ARGV[2] .. f[1], f[2])
redis.call('ZREM', ARGV[3] .. f[1], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if f[3] then
  redis.call('ZREM', ARGV[4] .. f[3], ARGV[1])
end
redis.call('DEL', KEYS[2])
return 1
