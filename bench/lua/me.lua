-- GET me with the access tokens in BENCH_TOKENS_FILE (one per line), each thread round robin
-- over its share: an app reading its user while it is open.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local tokens, count, n = {}, 0, 0

wrk.method = "GET"

function init(args)
  tokens, count = my_lines(os.getenv("BENCH_TOKENS_FILE"))
end

function request()
  n = n % count + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[n] }, nil)
end

function response(status, headers, body)
  check(status == 200 and body:find('"union_id"', 1, true) ~= nil, headers)
end
