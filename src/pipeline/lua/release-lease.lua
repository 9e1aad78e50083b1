--[[
  Releases a stage's lease on a request, only if this run still holds it (a lease that expired and
  was taken by another run stays theirs).

  KEYS[1] the lease (string)
  ARGV[1] the token this run set

  Returns 1 when released, 0 when the lease was not ours (or gone).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
