-- Nine GETs of stored digests (args[1], the target's own) to one POST of a new message (args[2], the run id).
local common = require('common')
local run
local n = 0
local gets

function init(args)
  local digests = common.lines(args[1])
  local requests = {}
  for i, digest in ipairs(digests) do requests[i] = common.get(digest) end
  gets = common.cycle(requests)
  run = args[2]
end

function request()
  n = n + 1
  if n % 10 == 0 then return common.post(common.new_message(run, n)) end
  return gets()
end
