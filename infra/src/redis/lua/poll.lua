-- Commits a poll plan if the server is as it was read: meetings ended or released (each only if still the
-- same placement), running ones extended, confirmed if read unconfirmed and given the participants the server
-- reported where they changed (and indexed where the index lacked them), orphans adopted (if their voice
-- bridge is still free), stale index entries dropped, and the server written when the poll changed it. Returns
-- 'ok', 'retry' or 'gone'.
local s = plan.server
if redis.call('SISMEMBER', s.servers, s.id) == 0 then
  return 'gone'
end
if not version_is(s.version_key, plan.version) then
  return 'retry'
end
for _, m in ipairs(plan.removed) do
  if still(m.key, m.server_id, m.created_at_ms) then
    forget(m)
  end
end
-- A running meeting: its key, its participants (false when the poll found them as read) and whether it was read
-- unconfirmed; a steady poll extends it and writes nothing else.
for _, running in ipairs(plan.running) do
  local key = running[1]
  if redis.call('HGET', key, 'server_id') == s.id then
    redis.call('PEXPIREAT', key, plan.expires_at_ms)
    redis.call('HSET', key, 'expires_at_ms', plan.expires_at_ms)
    if running[3] then
      redis.call('HSETNX', key, 'confirmed_at_ms', plan.now_ms)
    end
    if running[2] then
      redis.call('HSET', key, 'participants', running[2])
    end
  end
end
for _, id in ipairs(plan.unindexed) do
  if redis.call('HGET', plan.meeting_prefix .. id, 'server_id') == s.id then
    redis.call('SADD', plan.index, id)
  end
end
for _, m in ipairs(plan.adopted) do
  local free = not held_by_other(m.bridges, m.voice_bridge, m.id, function(owner) return plan.meeting_prefix .. owner end)
  if redis.call('EXISTS', m.key) == 0 and free then
    write_meeting(m)
  end
end
for _, id in ipairs(plan.stale) do
  redis.call('SREM', plan.index, id)
end
if plan.write_server then
  write_server(s)
end
return 'ok'
