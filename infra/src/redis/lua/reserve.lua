-- Places a meeting on the chosen server if its load is still what the choice saw, reserving load and a
-- voice bridge. A meeting still on `replace_server` is forgotten first.
-- ARGV: namespace, server id, expected score, meeting id, tenant id, moderator password, expiry (ms since
--       the epoch), now ms,
--       reservation, replace_server ("" for none), voice bridge count, voice bridges...
-- Returns {"ok", voice bridge} or {"retry"} or {"exhausted"}.
local ns, sid, mid = ARGV[1], ARGV[2], ARGV[4]
if redis.call('ZSCORE', ns .. ':server_load', sid) ~= ARGV[3] then
  return {'retry'}
end
local key = ns .. ':meeting:' .. mid
local current = redis.call('HGET', key, 'server_id')
if current then
  if current ~= ARGV[10] then
    return {'retry'}
  end
  local vb = redis.call('HGET', key, 'voice_bridge')
  if vb and redis.call('HGET', ns .. ':voice_bridges', vb) == mid then
    redis.call('HDEL', ns .. ':voice_bridges', vb)
  end
  redis.call('DEL', key)
  redis.call('SREM', ns .. ':server_meetings:' .. current, mid)
end
local bridges = ns .. ':voice_bridges'
local chosen = nil
for i = 1, tonumber(ARGV[11]) do
  local number = ARGV[11 + i]
  local owner = redis.call('HGET', bridges, number)
  if not owner or owner == mid or redis.call('EXISTS', ns .. ':meeting:' .. owner) == 0 then
    redis.call('HSET', bridges, number, mid)
    chosen = number
    break
  end
end
if not chosen then
  return {'exhausted'}
end
redis.call('HSET', key, 'server_id', sid, 'moderator_pw', ARGV[6], 'voice_bridge', chosen, 'tenant_id', ARGV[5],
  'reserved_load', ARGV[9], 'created_at_ms', ARGV[8])
redis.call('SADD', ns .. ':meetings', mid)
redis.call('SADD', ns .. ':server_meetings:' .. sid, mid)
redis.call('ZINCRBY', ns .. ':server_load', ARGV[9], sid)
redis.call('PEXPIREAT', key, ARGV[7])
return {'ok', chosen}
