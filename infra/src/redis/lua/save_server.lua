-- Adds or changes a server's settings and state, moving its load between the sets as upstream does.
-- ARGV: namespace, id, "new"|"existing", url, secret, tag ("" for none), state, load_multiplier
local ns, id, must = ARGV[1], ARGV[2], ARGV[3]
local exists = redis.call('SISMEMBER', ns .. ':servers', id) == 1
if (must == 'new' and exists) or (must == 'existing' and not exists) then
  return 0
end
local key = ns .. ':server:' .. id
local load = redis.call('ZSCORE', ns .. ':server_load', id) or redis.call('ZSCORE', ns .. ':cordoned_server_load', id)
redis.call('SADD', ns .. ':servers', id)
redis.call('HSET', key, 'url', ARGV[4], 'secret', ARGV[5], 'state', ARGV[7], 'load_multiplier', ARGV[8])
if must == 'new' then
  redis.call('HSET', key, 'online', 'false')
end
if ARGV[6] == '' then
  redis.call('HDEL', key, 'tag')
else
  redis.call('HSET', key, 'tag', ARGV[6])
end
local online = redis.call('HGET', key, 'online') == 'true'
redis.call('ZREM', ns .. ':server_load', id)
redis.call('ZREM', ns .. ':cordoned_server_load', id)
if ARGV[7] == 'enabled' then
  redis.call('SADD', ns .. ':server_enabled', id)
  if load and online then
    redis.call('ZADD', ns .. ':server_load', load, id)
  end
else
  redis.call('SREM', ns .. ':server_enabled', id)
  if ARGV[7] == 'cordoned' and load then
    redis.call('ZADD', ns .. ':cordoned_server_load', load, id)
  end
end
return 1
