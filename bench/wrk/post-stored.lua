-- POST of messages the target already stored: args[1] is the file of those messages.
local common = require('common')
local next_request

function init(args)
  local requests = {}
  for i, message in ipairs(common.lines(args[1])) do requests[i] = common.post(message) end
  next_request = common.cycle(requests)
end

-- Defined at load: wrk decides in its main Lua state, before init(), whether requests are dynamic.
function request()
  return next_request()
end
