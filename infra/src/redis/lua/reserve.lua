-- Places a meeting on the least loaded of the eligible servers (the tag rules were applied by the caller),
-- reserving load and a voice bridge, in one step. A meeting still on `replace_server` is forgotten first.
-- ARGV: namespace, meeting id, tenant id, moderator password, expiry (ms since the epoch), now ms,
--       participants to reserve, replace_server ("" for none), eligible count, eligible ids (sorted)...,
--       voice bridges...
-- Returns {"ok", server id, voice bridge, reserved load} or {"retry"} or {"exhausted"}.
local ns, mid = ARGV[1], ARGV[2]
local count = tonumber(ARGV[9])
local chosen, lowest = nil, nil
for i = 1, count do
  local sid = ARGV[9 + i]
  local score = redis.call('ZSCORE', ns .. ':server_load', sid)
  if score and redis.call('HGET', ns .. ':server:' .. sid, 'online') == 'true' then
    score = tonumber(score)
    if not lowest or score < lowest then
      chosen, lowest = sid, score
    end
  end
end
if not chosen then
  return {'retry'}
end
local key = ns .. ':meeting:' .. mid
local current = redis.call('HGET', key, 'server_id')
if current then
  if current ~= ARGV[8] then
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
local bridge = nil
for i = 10 + count, #ARGV do
  local number = ARGV[i]
  local owner = redis.call('HGET', bridges, number)
  if not owner or owner == mid or redis.call('EXISTS', ns .. ':meeting:' .. owner) == 0 then
    redis.call('HSET', bridges, number, mid)
    bridge = number
    break
  end
end
if not bridge then
  return {'exhausted'}
end
local multiplier = tonumber(redis.call('HGET', ns .. ':server:' .. chosen, 'load_multiplier')) or 1
if multiplier == 0 then
  multiplier = 1
end
local reserved = tonumber(ARGV[7]) * multiplier
redis.call('HSET', key, 'server_id', chosen, 'moderator_pw', ARGV[4], 'voice_bridge', bridge, 'tenant_id', ARGV[3],
  'reserved_load', tostring(reserved), 'created_at_ms', ARGV[6])
redis.call('SADD', ns .. ':meetings', mid)
redis.call('SADD', ns .. ':server_meetings:' .. chosen, mid)
redis.call('ZINCRBY', ns .. ':server_load', tostring(reserved), chosen)
redis.call('PEXPIREAT', key, ARGV[5])
return {'ok', chosen, bridge, tostring(reserved)}
