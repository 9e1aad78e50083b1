--[[
  Books one call in a provider quota: finds the earliest time at or after the last booking at which
  every rule still holds with the new weight, and books it there (first come, first served).
  Times are Redis server time (ms), so processes on different clocks agree.

  KEYS[1] the quota's bookings (sorted set of `<id>|<weight>` scored by the time the call may go)

  ARGV[1] the booking id
  ARGV[2] its weight (tokens; 1 for a plain request count)
  ARGV[3] the longest wait (ms) the caller accepts
  ARGV[4] a safety margin (ms) added after a window frees
  ARGV[5] the number of rules n, then per rule i: ARGV[3+3i] window (ms), ARGV[4+3i] max count
          (0 = none), ARGV[5+3i] max weight (0 = none)

  Returns {1, wait ms, member} when booked; {0, wait ms, ''} when the wait would exceed ARGV[3].
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, weight, maxWait, margin = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rules, longest = {}, 0
for i = 1, tonumber(ARGV[5]) do
  local w = tonumber(ARGV[3 + 3 * i])
  rules[i] = { w, tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i]) }
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local raw = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local scores, weights, n = {}, {}, #raw / 2
for i = 1, n do
  scores[i] = tonumber(raw[2 * i])
  weights[i] = tonumber(string.match(raw[2 * i - 1], '|(%d+)$')) or 0
end
local at = now
if n > 0 and scores[n] > at then at = scores[n] end
local changed = true
while changed do
  changed = false
  for _, r in ipairs(rules) do
    local w, maxCount, maxWeight = r[1], r[2], r[3]
    -- A call heavier than the whole window is allowed alone.
    local need = weight
    if maxWeight > 0 and need > maxWeight then need = maxWeight end
    local j, count, sum = 1, 0, 0
    while j <= n and scores[j] <= at - w do j = j + 1 end
    for k = j, n do count = count + 1; sum = sum + weights[k] end
    local later = at
    while j <= n and ((maxCount > 0 and count + 1 > maxCount) or (maxWeight > 0 and sum + need > maxWeight)) do
      later = scores[j] + w + margin
      count = count - 1
      sum = sum - weights[j]
      j = j + 1
    end
    if later > at then at = later; changed = true end
  end
end
local wait = at - now
if wait > maxWait then return { 0, wait, '' } end
local member = id .. '|' .. weight
redis.call('ZADD', KEYS[1], at, member)
redis.call('PEXPIRE', KEYS[1], wait + longest + 1000)
return { 1, wait, member }
