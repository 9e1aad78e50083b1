--[[
  Records facts on a request without changing its state, only while the record exists: a stage
  finishing after an erasure must not recreate it.

  KEYS[1] the request record (hash)
  ARGV    field, value, ...

  Returns 1 when written, 0 when the record is gone.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
