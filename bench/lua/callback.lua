-- GET callback as TikTok sends the browser back: a state from the authorize scenario
-- (BENCH_STATES_FILE, one per request, with the binding cookie of the browser that started
-- it, sent back as a browser would) and a fresh code (synth-code.<name>, made up by the
-- fake on first use). The site checks the state and the browser, exchanges the code at
-- TikTok and redirects to the app link with the access token.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local prefix = os.getenv("BENCH_CODE_PREFIX")
local queue, head, tail, n = {}, 1, 0, 0

function init(args)
  local line_no = 0
  for line in io.lines(os.getenv("BENCH_STATES_FILE")) do
    line_no = line_no + 1
    if line_no % nthreads == tid - 1 then
      local state, cookie = line:match("^(%S+) (%S+)$")
      tail = tail + 1
      queue[tail] = {state, cookie}
    end
  end
end

function request()
  n = n + 1
  local state, cookie = "exhausted", nil -- no state left: this request fails and is counted
  if head <= tail then
    state, cookie = queue[head][1], queue[head][2]
    queue[head], head = nil, head + 1
  end
  wrk.headers["Cookie"] = cookie
  local code = prefix .. tid .. "-" .. n
  local query = "?code=" .. code .. "&scopes=user.info.basic&state=" .. state
  return wrk.format("GET", wrk.path .. query)
end

function response(status, headers, body)
  local location = headers["Location"] or ""
  check(status == 302 and location:find("access_token=", 1, true) ~= nil, headers)
end
