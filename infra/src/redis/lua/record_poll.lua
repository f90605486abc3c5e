-- Applies one poll result if the server's health and placed meetings are still what the poller read.
-- ARGV: namespace, id, expected online ("true"/"false"), expected healthy, expected unhealthy,
--       verdict ("apply"|"hold"|"offline"), new online, new healthy, new unhealthy, ttl ms,
--       load, meetings, users, largest meeting, videos,
--       known count, known ids..., ended count, ended ids..., running count, running ids...
-- Returns {"retry"}, {"gone"}, or {"ok", drained (0/1), released meeting id, moderator password, ...}.
local ns, id = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', ns .. ':servers', id) == 0 then
  return {'gone'}
end
local key = ns .. ':server:' .. id
local counters = ns .. ':' .. id
local online = redis.call('HGET', key, 'online') == 'true' and 'true' or 'false'
local health = redis.call('HMGET', counters, 'healthy_counter', 'unhealthy_counter')
if online ~= ARGV[3] or (tonumber(health[1]) or 0) ~= tonumber(ARGV[4]) or (tonumber(health[2]) or 0) ~= tonumber(ARGV[5]) then
  return {'retry'}
end
local index = ns .. ':server_meetings:' .. id
local at = 16
local known = tonumber(ARGV[at])
if ARGV[6] == 'apply' then
  if redis.call('SCARD', index) ~= known then
    return {'retry'}
  end
  for i = 1, known do
    if redis.call('SISMEMBER', index, ARGV[at + i]) == 0 then
      return {'retry'}
    end
  end
end
at = at + known + 1
local ended = tonumber(ARGV[at])
local ended_at = at
at = at + ended + 1
local running = tonumber(ARGV[at])

redis.call('HSET', counters, 'healthy_counter', ARGV[8], 'unhealthy_counter', ARGV[9])
redis.call('HSET', key, 'online', ARGV[7])
local state = redis.call('HGET', key, 'state')
if not state then
  state = redis.call('SISMEMBER', ns .. ':server_enabled', id) == 1 and 'enabled' or 'disabled'
end

local function destroy(mid)
  local mkey = ns .. ':meeting:' .. mid
  local vb = redis.call('HGET', mkey, 'voice_bridge')
  if vb and redis.call('HGET', ns .. ':voice_bridges', vb) == mid then
    redis.call('HDEL', ns .. ':voice_bridges', vb)
  end
  redis.call('DEL', mkey)
  redis.call('SREM', ns .. ':meetings', mid)
  redis.call('SREM', index, mid)
end

local result = {'ok', 0}
if ARGV[6] == 'apply' then
  for i = 1, ended do
    destroy(ARGV[ended_at + i])
  end
  for i = 1, running do
    local mkey = ns .. ':meeting:' .. ARGV[at + i]
    if redis.call('HGET', mkey, 'server_id') == id then
      redis.call('PEXPIRE', mkey, ARGV[10])
    end
  end
  redis.call('HSET', key, 'meetings', ARGV[12], 'users', ARGV[13], 'largest_meeting', ARGV[14], 'videos', ARGV[15])
  redis.call('ZREM', ns .. ':server_load', id)
  redis.call('ZREM', ns .. ':cordoned_server_load', id)
  local load = tonumber(ARGV[11])
  if state == 'enabled' then
    redis.call('ZADD', ns .. ':server_load', ARGV[11], id)
  elseif state == 'cordoned' and load == 0 then
    redis.call('HSET', key, 'state', 'disabled')
    redis.call('SREM', ns .. ':server_enabled', id)
    result[2] = 1
  elseif state == 'cordoned' then
    redis.call('ZADD', ns .. ':cordoned_server_load', ARGV[11], id)
  end
elseif ARGV[6] == 'offline' then
  for _, mid in ipairs(redis.call('SMEMBERS', ns .. ':meetings')) do
    local mkey = ns .. ':meeting:' .. mid
    local fields = redis.call('HMGET', mkey, 'server_id', 'moderator_pw')
    if fields[1] == id then
      destroy(mid)
      table.insert(result, mid)
      table.insert(result, fields[2] or '')
    elseif not fields[1] then
      redis.call('SREM', ns .. ':meetings', mid)
    end
  end
  redis.call('DEL', index)
  redis.call('ZREM', ns .. ':server_load', id)
  redis.call('ZREM', ns .. ':cordoned_server_load', id)
  redis.call('HSET', key, 'meetings', 0, 'users', 0, 'largest_meeting', 0, 'videos', 0)
end
return result
