--[[
stats: counts per queue as one consistent snapshot. Read only. The in-flight count walks every lease, which
is bounded by the total number of worker slots.

KEYS[1]     known queue names (SET)
KEYS[2]     all leases (ZSET)
ARGV[1]     ready queue key prefix
ARGV[2]     ready-by-age key prefix
ARGV[3]     dead-letter key prefix
ARGV[4]     message key prefix
ARGV[5..n]  queue names; none for every known queue

Returns  {{queue, ready, in flight, dead-lettered, age of the oldest ready message in ms or -1}, ...}
]]
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local names = {}
if #ARGV > 4 then
  for i = 5, #ARGV do
    names[#names + 1] = ARGV[i]
  end
else
  names = redis.call('SMEMBERS', KEYS[1])
end
local in_flight = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local queue = redis.call('HGET', ARGV[4] .. id, 'q')
  if queue then
    in_flight[queue] = (in_flight[queue] or 0) + 1
  end
end
local rows = {}
for _, name in ipairs(names) do
  local oldest = redis.call('ZRANGE', ARGV[2] .. name, 0, 0, 'WITHSCORES')
  local age = -1
  if oldest[1] then
    age = math.max(0, now_ms - tonumber(oldest[2]))
  end
  rows[#rows + 1] = {
    name,
    redis.call('ZCARD', ARGV[1] .. name),
    in_flight[name] or 0,
    redis.call('LLEN', ARGV[3] .. name),
    age,
  }
end
return rows
