-- Commits a meeting's removal: forgotten, and its reservation given back to its server, if the meeting and
-- its server are as they were read. Returns 'ok' or 'retry'.
local m = plan.meeting
if not still(m.key, m.server_id, m.created_at_ms) or not version_is(plan.version_key, plan.version) then
  return 'retry'
end
forget(m)
add_load(plan.server_load, plan.cordoned_load, m.server_id, '-' .. plan.returned, plan.version_key)
return 'ok'
