--[[
message-ids: every message id present, ready or in flight, per known queue, as one consistent snapshot. The
scheduler compares it with its queued task instances to re-enqueue the tries whose message is gone. Read only.

KEYS[1]  known queue names (SET)
KEYS[2]  all leases (ZSET)
ARGV[1]  ready queue key prefix
ARGV[2]  message key prefix

Returns  {{queue, {ready ids in claim order}, {in-flight ids}}, ...}
]]
local in_flight = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local queue = redis.call('HGET', ARGV[2] .. id, 'q')
  if queue then
    in_flight[queue] = in_flight[queue] or {}
    table.insert(in_flight[queue], id)
  end
end
local rows = {}
local seen = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  seen[name] = true
  local ready = {}
  for _, member in ipairs(redis.call('ZRANGE', ARGV[1] .. name, 0, -1)) do
    ready[#ready + 1] = string.sub(member, 18)
  end
  rows[#rows + 1] = { name, ready, in_flight[name] or {} }
end
for name, ids in pairs(in_flight) do
  if not seen[name] then
    rows[#rows + 1] = { name, {}, ids }
  end
end
return rows
