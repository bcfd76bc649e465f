-- GET of stored messages (cold or warm cache): args[1] is the file of the target's own stored digests.
local common = require('common')
local next_request

function init(args)
  local requests = {}
  for i, digest in ipairs(common.lines(args[1])) do requests[i] = common.get(digest) end
  next_request = common.cycle(requests)
end

-- Defined at load: wrk decides in its main Lua state, before init(), whether requests are dynamic.
function request()
  return next_request()
end
