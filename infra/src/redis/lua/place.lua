-- Commits a placement plan: the meeting kept (its create marked as sent) or placed on the chosen server with
-- its reservation and voice bridge, replacing its old placement. Returns 'ok' or 'retry'.
-- A kept meeting needs its server as it was read. A new placement needs the domain's guard to hold: the chosen
-- server still in `server_load` (and as it was read, when the guard asks), the tenant's meetings as they were
-- read (when the guard asks), and none of the plan's rivals less loaded than it; a replaced placement needs
-- its old server as it was read (the load it gives back was capped by that server's load).
local m = plan.meeting
if redis.call('SISMEMBER', plan.servers, m.server_id) == 0 then
  return 'retry'
end
if plan.mode == 'existing' then
  if not version_is(plan.version_key, plan.version) then
    return 'retry'
  end
else
  local chosen = redis.call('ZSCORE', plan.server_load, m.server_id)
  if not chosen or (plan.server_as_read and not version_is(plan.version_key, plan.version)) then
    return 'retry'
  end
  if plan.tenant_as_read and not version_is(m.tenant_version, plan.tenant_version) then
    return 'retry'
  end
  for _, other in ipairs(plan.rivals) do
    local score = redis.call('ZSCORE', plan.server_load, other)
    if score and tonumber(score) < tonumber(chosen) then
      return 'retry'
    end
  end
end
if plan.replaced and not version_is(plan.replaced.version_key, plan.replaced.version) then
  return 'retry'
end
if plan.current then
  if not still(m.key, plan.current.server_id, plan.current.created_at_ms) then
    return 'retry'
  end
elseif redis.call('EXISTS', m.key) == 1 then
  return 'retry'
end
if plan.mode == 'existing' then
  redis.call('HSET', m.key, 'create_sent_at_ms', m.create_sent_at_ms)
  redis.call('HDEL', m.key, 'confirmed_at_ms')
  return 'ok'
end
if held_by_other(m.bridges, m.voice_bridge, m.id, function(owner) return plan.meeting_prefix .. owner end) then
  return 'retry'
end
local old = plan.replaced
if old then
  forget(old)
  add_load(plan.server_load, plan.cordoned_load, old.server_id, '-' .. old.returned, old.version_key)
end
write_meeting(m)
add_load(plan.server_load, plan.cordoned_load, m.server_id, m.reserved_load, plan.version_key)
return 'ok'
