-- POST connect as returning users: BENCH_POOL users whose tokens are
-- BENCH_TOKEN_PREFIX .. i (signed up by bench/run.py's warm-up), round robin.
-- The floor (bench/floor.py) is driven with this script too.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local prefix = os.getenv("BENCH_TOKEN_PREFIX")
-- What a successful answer contains: our "jwt" (dj-rest-auth's peer answers "access").
local expect = os.getenv("BENCH_EXPECT") or '"jwt"'
local pool = tonumber(os.getenv("BENCH_POOL"))
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  n = n + 1
  local i = (n * nthreads + tid) % pool
  return wrk.format(nil, nil, nil, json_body("access_token", prefix .. i))
end

function response(status, headers, body)
  check(status == 200 and body:find(expect, 1, true) ~= nil, headers)
end
