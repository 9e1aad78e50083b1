--[[
  Moves a request's state from the predecessor the caller saw (compare-and-set) and writes its audit
  event in the same script: a crash can never leave a state change without its event. A repeat of the
  same transition is a no-op (a retried job). The request's vault entry changes with the state.

  KEYS[1] the request record (hash)
  KEYS[2] the audit stream
  KEYS[3] the subjects' wrapped audit keys (hash)
  KEYS[4] the request's vault entry (hash)

  ARGV[1]  the new state
  ARGV[2]  now (ms), the record's updatedAt
  ARGV[3]  facts to record (JSON object of strings)
  ARGV[4]  the state the caller saw
  ARGV[5..8] the sealed audit event (field, value, field, value)
  ARGV[9]  the subject reference (field of KEYS[3]), '' for none
  ARGV[10] the subject's wrapped key as the caller read it, '' for none: if it is not the subject's
           key any more (an erasure destroyed it), the caller must read again rather than link the
           event to the erased subject
  ARGV[11] vault action: 'write' (store the sections below), 'erase' (a terminal state), '' (none)
  ARGV[12] the vault entry's TTL (ms) for 'write'
  ARGV[13..] the sealed vault sections (field, value, ...) for 'write'

  Returns {code, the current state, the audit stream id when MOVED}.
]]
local MOVED, SAME, GONE, CONFLICT = 1, 0, -1, -3

local current = redis.call('HGET', KEYS[1], 'state')
if not current then return {GONE, ''} end
if current == ARGV[1] then
  -- A retry finishes what a crash between the state change and its erase left behind.
  if ARGV[11] == 'erase' then redis.call('DEL', KEYS[4]) end
  return {SAME, current}
end
if current ~= ARGV[4] then return {CONFLICT, current} end
if ARGV[10] ~= '' and redis.call('HGET', KEYS[3], ARGV[9]) ~= ARGV[10] then return {CONFLICT, current} end

redis.call('HSET', KEYS[1], 'state', ARGV[1], 'updatedAt', ARGV[2])
local facts = cjson.decode(ARGV[3])
for k, v in pairs(facts) do redis.call('HSET', KEYS[1], k, v) end
if ARGV[11] == 'write' then
  redis.call('HSET', KEYS[4], unpack(ARGV, 13))
  redis.call('PEXPIRE', KEYS[4], ARGV[12])
elseif ARGV[11] == 'erase' then
  redis.call('DEL', KEYS[4])
end
local id = redis.call('XADD', KEYS[2], '*', ARGV[5], ARGV[6], ARGV[7], ARGV[8])
return {MOVED, current, id}
