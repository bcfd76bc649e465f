-- Shared by the scenario scripts (found through LUA_PATH, which the bench sets): thread ids, fixture files,
-- request builders, and the one JSON line per run that bench/wrk.ts parses.
local common = {}

local threads = 0
-- Runs in wrk's main Lua state before each thread's init(): gives every thread a distinct `id` global.
function setup(thread)
  threads = threads + 1
  thread:set('id', threads)
end

-- The lines of a fixture file the bench wrote (digests, or messages of plain ASCII with no quote or backslash).
function common.lines(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end

function common.get(digest)
  return wrk.format('GET', '/messages/' .. digest)
end

local JSON = { ['Content-Type'] = 'application/json' }
function common.post_json(path, body)
  return wrk.format('POST', path, JSON, body)
end

function common.post(message)
  return common.post_json('/messages', '{"message":"' .. message .. '"}')
end

-- A message no run posted before: the bench's random run id, the thread, and a counter.
function common.new_message(run, n)
  return 'bench ' .. run .. '-' .. id .. ' message number ' .. n .. ': the quick brown fox'
end

-- Requests formatted once in init(), then sent in turn; each thread starts at its own offset.
function common.cycle(requests)
  local n = id * 7919
  return function()
    n = n + 1
    return requests[n % #requests + 1]
  end
end

-- For a scenario that sends a fixed pool of requests: `build(args)` makes the pool once per thread in init(), and
-- request() sends it in turn. Call it when the script loads: wrk decides in its main Lua state, before init(),
-- whether requests are dynamic, by whether a request() is defined.
function common.serve(build)
  local next_request
  function init(args)
    next_request = common.cycle(build(args))
  end
  function request()
    return next_request()
  end
end

-- Latency in µs; status errors are wrk's count of responses with a status of 400 or more.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
      '"timeout":%d},"non2xx3xx":%d,"latencyUs":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end

return common
