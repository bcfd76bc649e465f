-- GET of stored messages (cold or warm cache): args[1] is the file of the target's own stored digests.
local common = require('common')

common.serve(function(args)
  local requests = {}
  for i, digest in ipairs(common.lines(args[1])) do requests[i] = common.get(digest) end
  return requests
end)
