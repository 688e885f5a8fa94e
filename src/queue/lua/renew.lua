--[[
renew: the worker's heartbeat. Moves the lease deadline of every given message this worker still holds;
reports the others as lost (reaped and maybe claimed by another worker, acked, removed or purged). A lease
that ran out but was not reaped yet is still held, so it is renewed. Running it twice renews twice.

KEYS[1]     all leases (ZSET)
KEYS[2]     the worker's in-flight set (ZSET)
ARGV[1]     worker id
ARGV[2]     lease length in ms (positive integer)
ARGV[3]     message key prefix
ARGV[4..n]  message ids

Returns  {lease deadline ms, {renewed ids}, {lost ids}}
Errors   DAGBRIDGE_INVALID_ARGUMENT when the lease is not a positive integer.
]]
local lease_ms = tonumber(ARGV[2])
if lease_ms == nil or lease_ms <= 0 or lease_ms ~= math.floor(lease_ms) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT leaseMs must be a positive integer, got ' .. ARGV[2])
end
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + lease_ms

local renewed, lost = {}, {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local message_key = ARGV[3] .. id
  if redis.call('HGET', message_key, 'w') == ARGV[1] then
    redis.call('HSET', message_key, 'dl', deadline)
    redis.call('ZADD', KEYS[1], deadline, id)
    redis.call('ZADD', KEYS[2], deadline, id)
    renewed[#renewed + 1] = id
  else
    redis.call('ZREM', KEYS[2], id)
    lost[#lost + 1] = id
  end
end
return { deadline, renewed, lost }
