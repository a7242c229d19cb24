-- POST token/refresh in chains: each thread starts from its share of the refresh tokens in
-- BENCH_TOKENS_FILE (one per line) and sends each new refresh token back in a later request.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local queue, head, tail = {}, 1, 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  queue, tail = my_lines(os.getenv("BENCH_TOKENS_FILE"))
end

function request()
  local token = "exhausted" -- a chain broke: this request fails and is counted
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format(nil, nil, nil, json_body("refresh", token))
end

function response(status, headers, body)
  local token = status == 200 and body:match('"refresh"%s*:%s*"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
  check(token ~= nil, headers)
end
