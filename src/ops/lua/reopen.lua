--[[
  Sends a dead-lettered request back to the start; anything else is left alone.

  KEYS[1] the request record (hash)
  ARGV[1] now (ms), the record's updatedAt

  Returns 1 when reopened, 0 when the request is not a dead-lettered failure.
]]
local state = redis.call('HGET', KEYS[1], 'state')
local reason = redis.call('HGET', KEYS[1], 'reason')
if state ~= 'failed' or reason ~= 'dead_letter' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'received', 'updatedAt', ARGV[1], 'reopened', '1')
redis.call('HDEL', KEYS[1], 'reason')
return 1
