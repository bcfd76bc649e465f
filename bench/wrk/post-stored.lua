-- POST of messages the target already stored: args[1] is the file of those messages.
local common = require('common')

common.serve(function(args)
  local requests = {}
  for i, message in ipairs(common.lines(args[1])) do requests[i] = common.post(message) end
  return requests
end)
