--[[
  A request record as a stage reads it, with its subject's wrapped audit key, so that a transition from
  what the stage saw needs no second read.

  KEYS[1] the request record (hash)
  KEYS[2] the subjects' wrapped audit keys (hash)

  Returns {the record's fields (HGETALL), the subject's wrapped key or false}.
]]
local r = redis.call('HGETALL', KEYS[1])
local wrapped = false
for i = 1, #r, 2 do
  if r[i] == 'subject' then wrapped = redis.call('HGET', KEYS[2], r[i + 1]) end
end
return {r, wrapped}
