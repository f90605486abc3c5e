-- A join's read in one round trip (it writes nothing): the server the meeting is placed on, and what a join
-- needs of that server (its membership, hash, load in either load set, the enabled set, and its change counter).
-- ARGV: the meeting's key; the servers set, the load sets and the enabled set; the prefixes that a server id
-- completes into its hash key and its counter's key (every name built by keys.rs).
local id = redis.call('HGET', ARGV[1], 'server_id')
if not id then
  return {false, false}
end
return {id, {
  redis.call('SISMEMBER', ARGV[2], id),
  redis.call('HGETALL', ARGV[6] .. id),
  redis.call('ZSCORE', ARGV[3], id),
  redis.call('ZSCORE', ARGV[4], id),
  redis.call('SISMEMBER', ARGV[5], id),
  redis.call('GET', ARGV[7] .. id),
}}
