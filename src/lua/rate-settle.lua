--[[
  Settles a booking once the call's real weight is known: swaps the member's weight and, on request,
  moves it to now if that is later; it stays counted for a whole window.

  KEYS[1] the quota's bookings (sorted set)

  ARGV[1] the booked member (`<id>|<weight>`)
  ARGV[2] the member with the real weight
  ARGV[3] '1': move the booking to now if that is later
  ARGV[4] the key's minimum TTL (ms): one window

  Returns 1, or 0 when the booking is gone (expired).
]]
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at then return 0 end
at = tonumber(at)
if ARGV[3] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now > at then at = now end
end
if ARGV[2] ~= ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[1], at, ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
