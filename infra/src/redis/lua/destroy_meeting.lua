-- Forgets a meeting: its hash, its set memberships and its voice bridge.
-- ARGV: namespace, meeting id. Returns the meeting's hash as a flat list, or an empty list.
local ns, id = ARGV[1], ARGV[2]
local key = ns .. ':meeting:' .. id
local fields = redis.call('HGETALL', key)
redis.call('DEL', key)
redis.call('SREM', ns .. ':meetings', id)
for i = 1, #fields, 2 do
  if fields[i] == 'server_id' then
    redis.call('SREM', ns .. ':server_meetings:' .. fields[i + 1], id)
  elseif fields[i] == 'voice_bridge' and redis.call('HGET', ns .. ':voice_bridges', fields[i + 1]) == id then
    redis.call('HDEL', ns .. ':voice_bridges', fields[i + 1])
  end
end
return fields
