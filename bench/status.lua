-- wrk script for bench/status.py: POSTs one lookup per request, cycling through a list of
-- emails, and checks each answer's "restricted" flag against what the data set says.
--
-- Install wrk from Debian's packages: apt-get install wrk
--
-- Environment (set by bench/status.py):
--   BENCH_CASES  file of lines "<email> <0|1>" (1 = has an arrangement in the service)
--   BENCH_MODE   "graphql" (Tact's restrictionStatus) or "bare" (the bare JSON route)
--   BENCH_KEY    the portal key
--   BENCH_SERVICE the service slug

local cases = {}
local mode = os.getenv("BENCH_MODE")
local key = os.getenv("BENCH_KEY")
local service = os.getenv("BENCH_SERVICE")

for line in io.lines(os.getenv("BENCH_CASES")) do
  local email, flag = line:match("^(%S+) (%d)$")
  cases[#cases + 1] = { email = email, restricted = flag == "1" }
end

local query = "query S($l: RestrictionLookup!, $s: String!) " ..
  "{ restrictionStatus(lookup: $l, service: $s) { service restricted arrangements " ..
  "{ kind handlingInstructions namedOfficer startsOn endsOn nextReviewOn } } }"

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- Each thread starts at a different place in the list. Answers from many connections arrive
  -- interleaved, so each request carries its case number in X-Request-ID, which both servers
  -- echo, and the answer is checked against that case.
  counter = id * 7919
  wrong, checked, failed = 0, 0, 0
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  local n = (counter % #cases) + 1
  -- wrk.format uses this table instead of wrk.headers, not merged with it.
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "ApiKey " .. key,
    ["X-Request-ID"] = "bench-" .. n,
  }
  local body
  if mode == "graphql" then
    body = '{"query":"' .. query .. '","variables":{"l":{"email":"' .. c.email ..
      '"},"s":"' .. service .. '"}}'
    return wrk.format(nil, "/graphql", headers, body)
  end
  body = '{"email":"' .. c.email .. '","service":"' .. service .. '"}'
  return wrk.format(nil, "/bare/status", headers, body)
end

function response(status, headers, body)
  local rid = headers["X-Request-ID"] or headers["x-request-id"] or ""
  local c = cases[tonumber(rid:match("^bench%-(%d+)$") or "0")]
  if status ~= 200 or c == nil then
    failed = failed + 1
    return
  end
  checked = checked + 1
  local restricted = body:find('"restricted":%s*true') ~= nil
  local ok = restricted == c.restricted
  if ok and restricted then ok = body:find('"handlingInstructions"', 1, true) ~= nil end
  if body:find('"errors"', 1, true) then ok = false end
  if not ok then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local w, k, f = 0, 0, 0
  for _, t in ipairs(threads) do
    w = w + t:get("wrong"); k = k + t:get("checked"); f = f + t:get("failed")
  end
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f checked=%d wrong=%d failed=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, k, w, f,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout))
end
