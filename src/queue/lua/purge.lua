--[[
purge: deletes every ready message of one queue and returns them in claim order, so the caller can reset
their task instances. Messages in flight are left alone (their workers ack or lose them as usual). Running it
twice: the second returns nothing.

KEYS[1]  ready queue (ZSET)
KEYS[2]  ready-by-age index (ZSET)
ARGV[1]  message key prefix

Returns  {{id, payload, priority (string), deliveries, enqueued ms}, ...}
]]
local rows = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local id = string.sub(member, 18)
  local message_key = ARGV[1] .. id
  local f = redis.call('HMGET', message_key, 'p', 'pr', 'd', 't', 'm', 'w')
  if f[1] and f[5] == member and not f[6] then
    redis.call('DEL', message_key)
    rows[#rows + 1] = { id, f[1], f[2], tonumber(f[3]), tonumber(f[4]) }
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return rows
