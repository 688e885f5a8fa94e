--[[
in-flight: the messages held by workers, soonest lease deadline first. Read only.

KEYS[1]  all leases, or one worker's in-flight set (ZSET: member id, score lease deadline ms)
ARGV[1]  message key prefix

Returns  {{id, queue, worker, lease deadline ms, deliveries, priority (string)}, ...}
]]
local rows = {}
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local id = entries[i]
  local f = redis.call('HMGET', ARGV[1] .. id, 'q', 'w', 'd', 'pr')
  if f[1] and f[2] then
    rows[#rows + 1] = { id, f[1], f[2], tonumber(entries[i + 1]), tonumber(f[3]), f[4] }
  end
end
return rows
