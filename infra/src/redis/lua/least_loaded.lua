-- A placement's read of the servers that take new meetings (it writes nothing): the first ARGV[3] + 1 members of
-- `server_load` (ARGV[1]) in order of load then id, each as id, load and change counter, so a server kept from an
-- earlier read is used only while its counter stays where it was. ARGV[2]: the prefix that a server id completes
-- into its counter's key.
local ranked = redis.call('ZRANGE', ARGV[1], 0, tonumber(ARGV[3]), 'WITHSCORES')
local found = {}
for i = 1, #ranked, 2 do
  found[#found + 1] = ranked[i]
  found[#found + 1] = ranked[i + 1]
  found[#found + 1] = redis.call('GET', ARGV[2] .. ranked[i]) or '0'
end
return found
