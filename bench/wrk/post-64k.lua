-- POST of 64 KiB messages (65,536 ASCII bytes), cycling through a pool of args[1] distinct ones: new messages
-- of that size at this rate would fill Redis by gigabytes, so after the first pass they are stored ones.
local common = require('common')

common.serve(function(args)
  local requests = {}
  for i = 1, tonumber(args[1]) do
    local head = 'big message ' .. i .. ' '
    requests[i] = common.post(head .. string.rep('x', 64 * 1024 - #head))
  end
  return requests
end)
