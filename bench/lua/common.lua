-- Shared by the scenario scripts (wrk 4.1, LuaJIT): per-thread checks and query counts,
-- and one "BENCH_JSON {...}" summary line from done() for bench/load.py to parse.
-- Each wrk thread runs its own copy of the script; these globals are per thread.
bad_count, q_sum, q_n, q_max = 0, 0, 0, 0

-- wrk runs a thread's init() before the next thread's setup(): the thread count comes
-- from the environment, not from counting setup() calls.
nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}

-- This thread's share of the lines of a file (every nthreads-th line, from its own tid):
-- the tokens it sends, so no two threads send the same one.
function my_lines(path)
  local lines, count, line_no = {}, 0, 0
  for line in io.lines(path) do
    line_no = line_no + 1
    if line_no % nthreads == tid - 1 then
      count = count + 1
      lines[count] = line
    end
  end
  return lines, count
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Count a response: ``good`` says whether it is the expected answer; the site's
-- X-Bench-Queries header (bench/querycount.py) gives the queries it ran.
function check(good, headers)
  if not good then bad_count = bad_count + 1 end
  local q = tonumber(headers["X-Bench-Queries"])
  if q then
    q_sum, q_n = q_sum + q, q_n + 1
    if q > q_max then q_max = q end
  end
end

function done(summary, latency, requests)
  local bad, qsum, qn, qmax = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("bad_count")
    qsum, qn = qsum + t:get("q_sum"), qn + t:get("q_n")
    qmax = math.max(qmax, t:get("q_max"))
  end
  local e = summary.errors
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"err_connect":%d,"err_read":%d,"err_write":%d', e.connect, e.read, e.write),
    string.format('"err_status":%d,"err_timeout":%d,"bad":%d', e.status, e.timeout, bad),
    string.format('"lat_mean_us":%.1f,"lat_max_us":%d', latency.mean, latency.max),
    string.format('"lat_p50_us":%d,"lat_p95_us":%d', latency:percentile(50), latency:percentile(95)),
    string.format('"lat_p99_us":%d', latency:percentile(99)),
    string.format('"queries_sum":%d,"queries_n":%d,"queries_max":%d', qsum, qn, qmax),
  }
  io.write("BENCH_JSON {" .. table.concat(fields, ",") .. "}\n")
end

-- A JSON body {"<key>":"<value>"} (values here are tokens: no quoting needed).
function json_body(key, value)
  return '{"' .. key .. '":"' .. value .. '"}'
end
