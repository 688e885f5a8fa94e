--[[
payload-excerpt (prepended to reap and dead-letter, not a script of its own): the part of a payload a
dead-letter entry keeps. A payload of at most `limit` bytes is kept whole; a longer one is cut to at most
`limit` bytes on a UTF-8 character boundary. Returns the kept text, the payload's full length in bytes and
whether it was cut.
]]
local function payload_excerpt(payload, limit)
  local bytes = #payload
  if bytes <= limit then
    return payload, bytes, false
  end
  local cut = limit
  while cut > 0 do
    local next_byte = string.byte(payload, cut + 1)
    if next_byte < 128 or next_byte >= 192 then
      break
    end
    cut = cut - 1
  end
  return string.sub(payload, 1, cut), bytes, true
end
