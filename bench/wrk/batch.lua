-- POST /messages/batch of args[2] new messages per request; args[1] is the bench's random run id.
local common = require('common')
local run, size
local n = 0

function init(args)
  run = args[1]
  size = tonumber(args[2])
end

function request()
  local messages = {}
  for i = 1, size do
    n = n + 1
    messages[i] = '"' .. common.new_message(run, n) .. '"'
  end
  return common.post_json('/messages/batch', '{"messages":[' .. table.concat(messages, ',') .. ']}')
end
