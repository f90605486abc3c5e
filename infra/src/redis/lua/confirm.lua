-- Marks a placement's latest create as answered by BBB, if it is still the latest.
local m = plan.meeting
if still(m.key, m.server_id, m.created_at_ms) and redis.call('HGET', m.key, 'create_sent_at_ms') == m.create_sent_at_ms then
  redis.call('HSET', m.key, 'confirmed_at_ms', plan.now_ms)
end
return 'ok'
