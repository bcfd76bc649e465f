-- POST of a message never posted before, made per request: args[1] is the bench's random run id.
local common = require('common')
local run
local n = 0

function init(args)
  run = args[1]
end

function request()
  n = n + 1
  return common.post(common.new_message(run, n))
end
