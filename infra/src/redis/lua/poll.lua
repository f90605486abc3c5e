-- Commits a poll plan if the server is as it was read: meetings ended or released (each only if still the
-- same placement), running ones extended and confirmed, orphans adopted (if their voice bridge is still
-- free), stale index entries dropped, and the server written. Returns 'ok', 'retry' or 'gone'.
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
for _, m in ipairs(plan.running) do
  if redis.call('HGET', m.key, 'server_id') == s.id then
    redis.call('PEXPIREAT', m.key, plan.expires_at_ms)
    if redis.call('HEXISTS', m.key, 'confirmed_at_ms') == 0 then
      redis.call('HSET', m.key, 'confirmed_at_ms', plan.now_ms)
    end
    redis.call('SADD', m.index, m.id)
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
write_server(s)
return 'ok'
