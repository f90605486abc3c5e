-- A join's first read (it writes nothing): the server the meeting is placed on and that server's change
-- counter, so a server kept from an earlier join is used only while the counter stays where it was. ARGV: the
-- meeting's key; the prefix that a server id completes into its counter's key.
local id = redis.call('HGET', ARGV[1], 'server_id')
if not id then
  return {false, false}
end
return {id, redis.call('GET', ARGV[2] .. id)}
