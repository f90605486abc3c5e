-- Adds a server (plan.must = 'new') or writes a changed one if it is as it was read ('existing').
-- Returns 'ok', 'retry', 'exists' or 'gone'.
local s = plan.server
local exists = redis.call('SISMEMBER', s.servers, s.id) == 1
if plan.must == 'new' and exists then
  return 'exists'
elseif plan.must == 'existing' and not exists then
  return 'gone'
elseif plan.must == 'existing' and not version_is(s.version_key, plan.version) then
  return 'retry'
end
write_server(s)
return 'ok'
