--[[
  Creates a request record with all its fields and indexes it under its subject, unless it exists, and
  writes its audit event in the same script, so a crash can never leave a record without it. The
  event's subject reference was sealed beforehand with the key ARGV[4] (SubjectKeys.expected); it is
  written only if the subject's field holds exactly that key.

  KEYS[1] the request record (hash)
  KEYS[2] the subject's index of requests (set)
  KEYS[3] the subjects' wrapped audit keys (hash)
  KEYS[4] the audit stream

  ARGV[1] the record's TTL (ms)
  ARGV[2] the request id
  ARGV[3] the subject reference (field of KEYS[3])
  ARGV[4] the subject's wrapped key the event was sealed with
  ARGV[5] '1': store ARGV[4] first if the subject has no key yet
  ARGV[6..9] the sealed audit event (field, value, field, value)
  ARGV[10..] the record's fields (field, value, ...)

  Returns {code, the record's fields (HGETALL), the subject's wrapped key or nil, audit stream id}.
]]
local EXISTED, CREATED_WITH_EVENT, CREATED_WITHOUT_EVENT = 0, 1, 2

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {EXISTED, redis.call('HGETALL', KEYS[1]), redis.call('HGET', KEYS[3], ARGV[3])}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 10))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local wrapped = redis.call('HGET', KEYS[3], ARGV[3])
if not wrapped and ARGV[5] == '1' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
  wrapped = ARGV[4]
end
-- Another process created or shredded the subject's key meanwhile: the caller appends the event itself.
if wrapped ~= ARGV[4] then return {CREATED_WITHOUT_EVENT, redis.call('HGETALL', KEYS[1]), wrapped} end
local id = redis.call('XADD', KEYS[4], '*', ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return {CREATED_WITH_EVENT, redis.call('HGETALL', KEYS[1]), wrapped, id}
