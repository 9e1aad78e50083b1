--[[
  What a transition reads first, in one trip: the record's state, flow and subject and the subject's
  wrapped audit key (for the audit event).

  KEYS[1] the request record (hash)
  KEYS[2] the subjects' wrapped audit keys (hash)

  Returns {state, flow, subject, wrapped key or false}.
]]
local r = redis.call('HMGET', KEYS[1], 'state', 'flow', 'subject')
local wrapped = false
if r[3] then wrapped = redis.call('HGET', KEYS[2], r[3]) end
return {r[1], r[2], r[3], wrapped}
