-- POST connect as first-time users: every request brings a TikTok user never seen before
-- (the fake makes up the user behind act.synth.<name>; see fake_tiktok/synthetic.py).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local prefix = os.getenv("BENCH_TOKEN_PREFIX")
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, json_body("access_token", prefix .. tid .. "-" .. n))
end

function response(status, headers, body)
  check(status == 200 and body:find('"jwt"', 1, true) ~= nil, headers)
end
