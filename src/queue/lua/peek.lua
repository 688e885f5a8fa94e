--[[
peek: the next ready messages of one queue in claim order, without claiming them. Read only.

KEYS[1]  ready queue (ZSET)
ARGV[1]  message key prefix
ARGV[2]  how many (integer >= 1)

Returns  {{id, payload, priority (string), deliveries, enqueued ms}, ...}
Errors   DAGBRIDGE_INVALID_ARGUMENT when the count is not a positive integer.
]]
local count = tonumber(ARGV[2])
if count == nil or count < 1 or count ~= math.floor(count) then
  return redis.error_reply('DAGBRIDGE_INVALID_ARGUMENT count must be a positive integer, got ' .. ARGV[2])
end
local rows = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, count - 1)) do
  local id = string.sub(member, 18)
  local f = redis.call('HMGET', ARGV[1] .. id, 'p', 'pr', 'd', 't')
  if f[1] then
    rows[#rows + 1] = { id, f[1], f[2], tonumber(f[3]), tonumber(f[4]) }
  end
end
return rows
