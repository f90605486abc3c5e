-- wrk script of the soak: sends the requests listed in the file $URLS (one path?query per line) in turn, each
-- thread from the start, and counts the answers that refused: an HTTP status from 400 up, or a BBB answer with
-- <returncode>FAILED.
local paths = {}
local index = 0
local threads = {}
refused = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("URLS")) do
    paths[#paths + 1] = line
  end
end

-- wrk builds one request before the connection opens and never sends it: that first one is a harmless
-- /healthz, so the first create is not the one lost (its end would then refuse).
function request()
  if index == 0 then
    index = #paths
    return wrk.format("GET", "/healthz")
  end
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end

function response(status, headers, body)
  if status >= 400 or (body and body:find("<returncode>FAILED", 1, true)) then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("refused")
  end
  io.write(string.format("refused %d\n", total))
end
