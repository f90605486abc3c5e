-- The prelude of every scalelite-rs script: a script commits a plan that the domain computed from a snapshot
-- (`balance`), after checking that what the plan was computed from is unchanged. The plan is ARGV[1], a
-- JSON document with every key name already built (keys.rs); numbers travel as strings. The helpers that change
-- a server (`write_server`, `forget_server`, `add_load`) move its change counter themselves, so no commit can
-- forget to; those that write or forget a meeting (`write_meeting`, `forget`) keep its tenant's index and move the
-- tenant's change counter.
local plan = cjson.decode(ARGV[1])

-- How far this script moved each change counter it moved: a plan of a batch was made with the plans before it
-- applied, so what those moved still counts as what it read.
local moved = {}
-- Where each counter this script moved stood before it first did, in the order first moved.
local moved_from = {}

local function move_on(key)
  if not moved[key] then
    moved_from[#moved_from + 1] = {key, redis.call('GET', key) or '0'}
  end
  moved[key] = (moved[key] or 0) + 1
  redis.call('INCR', key)
end

local function version_is(key, expected)
  return tonumber(redis.call('GET', key) or '0') == tonumber(expected) + (moved[key] or 0)
end

-- Whether a meeting hash still describes the placement (its server and when it was placed).
local function still(key, server_id, created_at_ms)
  local fields = redis.call('HMGET', key, 'server_id', 'created_at_ms')
  return fields[1] == server_id and (fields[2] or '0') == created_at_ms
end

-- Whether a live meeting other than `id` holds voice bridge `number` (its owner and the owner's key given).
local function held_by_other(bridges, number, id, owner_key_of)
  local owner = redis.call('HGET', bridges, number)
  if not owner or owner == id then
    return false
  end
  return redis.call('HGET', owner_key_of(owner), 'voice_bridge') == number
end

-- Keeps a meeting of a tenant in (`kept`) or out of its tenant's index, and moves the tenant's change counter on.
local function index_in_tenant(m, kept)
  if m.tenant_index == '' then
    return
  end
  if kept then redis.call('SADD', m.tenant_index, m.id) else redis.call('SREM', m.tenant_index, m.id) end
  move_on(m.tenant_version)
end

-- Forgets a meeting: its hash, its set memberships, and its voice bridge while it holds it.
local function forget(m)
  local vb = redis.call('HGET', m.key, 'voice_bridge')
  if vb and redis.call('HGET', m.bridges, vb) == m.id then
    redis.call('HDEL', m.bridges, vb)
  end
  redis.call('DEL', m.key)
  redis.call('SREM', m.meetings, m.id)
  redis.call('SREM', m.index, m.id)
  index_in_tenant(m, false)
end

-- Writes a meeting: its hash (upstream's fields and ours), its expiry, its sets and its voice bridge.
local function write_meeting(m)
  redis.call('HSET', m.key, 'server_id', m.server_id, 'moderator_pw', m.moderator_pw, 'voice_bridge', m.voice_bridge,
    'tenant_id', m.tenant_id, 'reserved_load', m.reserved_load, 'created_at_ms', m.created_at_ms,
    'create_sent_at_ms', m.create_sent_at_ms, 'participants', m.participants, 'expires_at_ms', m.expires_at_ms)
  if m.confirmed_at_ms == '' then
    redis.call('HDEL', m.key, 'confirmed_at_ms')
  else
    redis.call('HSET', m.key, 'confirmed_at_ms', m.confirmed_at_ms)
  end
  redis.call('PEXPIREAT', m.key, m.expires_at_ms)
  redis.call('SADD', m.meetings, m.id)
  redis.call('SADD', m.index, m.id)
  redis.call('HSET', m.bridges, m.voice_bridge, m.id)
  index_in_tenant(m, true)
end

-- Writes a server: its hash (its limits only when set), health counters, state sets, load in the set of its
-- state, split meetings.
local function write_server(s)
  redis.call('SADD', s.servers, s.id)
  redis.call('HSET', s.key, 'url', s.url, 'secret', s.secret, 'state', s.state, 'load_multiplier', s.load_multiplier,
    'online', s.online, 'meetings', s.meetings, 'users', s.users, 'largest_meeting', s.largest_meeting,
    'videos', s.videos)
  if s.tag == '' then redis.call('HDEL', s.key, 'tag') else redis.call('HSET', s.key, 'tag', s.tag) end
  if s.bbb_version ~= '' then redis.call('HSET', s.key, 'bbb_version', s.bbb_version) end
  for _, limit in ipairs({'max_meetings', 'max_participants'}) do
    if s[limit] == '' then redis.call('HDEL', s.key, limit) else redis.call('HSET', s.key, limit, s[limit]) end
  end
  redis.call('HSET', s.health, 'healthy_counter', s.healthy_counter, 'unhealthy_counter', s.unhealthy_counter)
  if s.state == 'enabled' then
    redis.call('SADD', s.enabled, s.id)
  else
    redis.call('SREM', s.enabled, s.id)
  end
  redis.call('ZREM', s.server_load, s.id)
  redis.call('ZREM', s.cordoned_load, s.id)
  if s.load ~= '' and s.state == 'enabled' then
    redis.call('ZADD', s.server_load, s.load, s.id)
  elseif s.load ~= '' and s.state == 'cordoned' then
    redis.call('ZADD', s.cordoned_load, s.load, s.id)
  end
  if s.split == '[]' then redis.call('DEL', s.split_key) else redis.call('SET', s.split_key, s.split) end
  move_on(s.version_key)
end

-- Forgets a server: its hash, health, state and load sets, index of meetings and split meetings; moves its change
-- counter on. Returns whether it was in the servers set.
local function forget_server(s)
  local was = redis.call('SREM', s.servers, s.id)
  redis.call('DEL', s.key, s.health, s.index, s.split_key)
  redis.call('ZREM', s.server_load, s.id)
  redis.call('ZREM', s.cordoned_load, s.id)
  redis.call('SREM', s.enabled, s.id)
  move_on(s.version_key)
  return was
end

-- Adds `amount` to a server's load in whichever set holds it (none: no load to change), and moves the server's
-- change counter on.
local function add_load(server_load, cordoned_load, id, amount, version_key)
  if redis.call('ZSCORE', server_load, id) then
    redis.call('ZINCRBY', server_load, amount, id)
  elseif redis.call('ZSCORE', cordoned_load, id) then
    redis.call('ZINCRBY', cordoned_load, amount, id)
  end
  move_on(version_key)
end
