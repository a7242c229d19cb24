-- GET authorize (the start of the browser flow): a login attempt is stored and the answer
-- redirects to TikTok with a fresh state of ours and sets the browser-binding cookie; both
-- are appended to BENCH_STATES_FILE ("<state> <cookie>") for the callback scenario that
-- follows. Each request plays a new browser: it sends no cookie.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local n = 0
local states

function init(args)
  states = io.open(os.getenv("BENCH_STATES_FILE"), "a")
  states:setvbuf("line")
end

function request()
  n = n + 1
  return wrk.format("GET", wrk.path .. "?state=app-" .. tid .. "-" .. n)
end

function response(status, headers, body)
  local state = status == 302 and (headers["Location"] or ""):match("[?&]state=([^&]+)")
  local cookie = (headers["Set-Cookie"] or ""):match("(tiktok_auth_browser=[^;]+)")
  if state and cookie then states:write(state, " ", cookie, "\n") end
  check(state ~= nil and state ~= false and cookie ~= nil, headers)
end
