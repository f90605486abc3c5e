-- wrk script: send the requests listed in the file $URLS (one path?query per line), in turn.
local paths = {}
local index = 0

function init(args)
  for line in io.lines(os.getenv("URLS")) do
    paths[#paths + 1] = line
  end
  -- Each wrk thread starts at its own offset so that threads do not repeat each other's requests.
  index = math.random(#paths)
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
