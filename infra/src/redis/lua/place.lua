-- Commits a batch of placement plans in order, each on its own: the meeting kept (its create marked as sent) or
-- placed on the chosen server with its reservation and voice bridge, replacing its old placement. Returns 'ok' or
-- 'retry' for each plan (a plan that retries writes nothing), and each change counter it moved as key, where it
-- stood before, where it stands after, so a server kept in memory at the first moves on with the commit.
-- A kept meeting needs its server as it was read. A new placement needs the domain's guard to hold: the chosen
-- server still in `server_load` with a load no higher than the guard's ceiling (and as it was read, when the
-- guard asks), the tenant's meetings as they were read (when the guard asks); a replaced placement needs its old
-- server as it was read (the load it gives back was capped by that server's load). What an earlier plan of the
-- batch changed counts as read: the later plans were made with it applied.

-- Loads travel as the shortest decimal that reads back exactly; sums of them may differ in the last bit.
local SLACK = 1e-9

local function holds(p)
  local m = p.meeting
  if redis.call('SISMEMBER', plan.servers, m.server_id) == 0 then
    return false
  end
  if p.mode == 'existing' then
    if not version_is(p.version_key, p.version) then
      return false
    end
  else
    local chosen = redis.call('ZSCORE', plan.server_load, m.server_id)
    if not chosen or (p.server_as_read and not version_is(p.version_key, p.version)) then
      return false
    end
    if p.ceiling and tonumber(chosen) > tonumber(p.ceiling) + SLACK then
      return false
    end
    if p.tenant_as_read and not version_is(m.tenant_version, p.tenant_version) then
      return false
    end
  end
  if p.replaced and not version_is(p.replaced.version_key, p.replaced.version) then
    return false
  end
  if p.current then
    if not still(m.key, p.current.server_id, p.current.created_at_ms) then
      return false
    end
  elseif redis.call('EXISTS', m.key) == 1 then
    return false
  end
  if p.mode == 'new' and
      held_by_other(m.bridges, m.voice_bridge, m.id, function(owner) return plan.meeting_prefix .. owner end) then
    return false
  end
  return true
end

local function write(p)
  local m = p.meeting
  if p.mode == 'existing' then
    redis.call('HSET', m.key, 'create_sent_at_ms', m.create_sent_at_ms)
    redis.call('HDEL', m.key, 'confirmed_at_ms')
    return
  end
  local old = p.replaced
  if old then
    forget(old)
    add_load(plan.server_load, plan.cordoned_load, old.server_id, '-' .. old.returned, old.version_key)
  end
  write_meeting(m)
  add_load(plan.server_load, plan.cordoned_load, m.server_id, m.reserved_load, p.version_key)
end

local answers = {}
for i, p in ipairs(plan.plans) do
  if holds(p) then
    write(p)
    answers[i] = 'ok'
  else
    answers[i] = 'retry'
  end
end
local counters = {}
for _, from in ipairs(moved_from) do
  counters[#counters + 1] = from[1]
  counters[#counters + 1] = from[2]
  counters[#counters + 1] = redis.call('GET', from[1])
end
return {answers, counters}
