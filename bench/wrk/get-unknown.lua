-- GET of digests no message has: 256 random bits each, a pool made per thread.
local common = require('common')

common.serve(function(args)
  math.randomseed(tonumber(args[1], 16) % 2147483647 + id)
  local requests = {}
  for i = 1, 10000 do
    local hex = {}
    for j = 1, 8 do hex[j] = string.format('%08x', math.random(0, 2147483647) * 2 + math.random(0, 1)) end
    requests[i] = common.get(table.concat(hex))
  end
  return requests
end)
