-- wrk script for bench/status.py: POSTs one lookup per request, cycling through a list of
-- emails, and checks each answer against what the data set says.
--
-- Install wrk from Debian's packages: apt-get install wrk
-- Run with one thread (-t1): the per-thread counters are summed in done(), but one thread is
-- all a 2-core machine can spare beside the server.
--
-- Environment (set by bench/status.py):
--   BENCH_CASES   file of lines "<email> <n>": n = arrangements in force in the service
--                 (0: the answer must say restricted false)
--   BENCH_MODE    "graphql" (Tact's restrictionStatus, the registered document by id),
--                 "text" (the same operation as query text: full execution), "bare" (the
--                 bare JSON route) or "plain" (the floor: one SELECT over a plain-text register)
--   BENCH_KEY     the portal key
--   BENCH_SERVICE the service slug
--   BENCH_DOCUMENT the id of the registered RestrictionStatus document (schema/documents/):
--                 Tact's requests send it as a portal does, with no query text

local cases = {}
local mode = os.getenv("BENCH_MODE")
local key = os.getenv("BENCH_KEY")
local service = os.getenv("BENCH_SERVICE")
local document = os.getenv("BENCH_DOCUMENT")
local query = "query S($lookup: RestrictionLookup!, $service: String!) " ..
  "{ restrictionStatus(lookup: $lookup, service: $service) { service restricted arrangements " ..
  "{ kind handlingInstructions namedOfficer startsOn endsOn nextReviewOn } } }"

for line in io.lines(os.getenv("BENCH_CASES")) do
  local email, count = line:match("^(%S+) (%d+)$")
  cases[#cases + 1] = { email = email, arrangements = tonumber(count) }
end


local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- Each thread starts at a different place in the list. Answers from many connections arrive
  -- interleaved, so each request carries its case number in X-Request-ID, which both servers
  -- echo unchanged, and the answer is checked against that case. An answer whose id is not
  -- exactly one that was sent counts as failed.
  counter = id * 7919
  wrong, checked, failed = 0, 0, 0
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  local n = (counter % #cases) + 1
  local c = cases[n]
  -- wrk.format uses this table instead of wrk.headers, not merged with it (it adds Host).
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "ApiKey " .. key,
    ["X-Request-ID"] = "bench-" .. n,
  }
  local body
  if mode == "graphql" then
    body = '{"documentId":"' .. document .. '","variables":{"lookup":{"email":"' .. c.email ..
      '"},"service":"' .. service .. '"}}'
    return wrk.format(nil, "/graphql", headers, body)
  end
  if mode == "text" then
    body = '{"query":"' .. query .. '","variables":{"lookup":{"email":"' .. c.email ..
      '"},"service":"' .. service .. '"}}'
    return wrk.format(nil, "/graphql", headers, body)
  end
  body = '{"email":"' .. c.email .. '","service":"' .. service .. '"}'
  return wrk.format(nil, "/" .. mode .. "/status", headers, body)
end

local function count(body, pattern)
  local found = 0
  for _ in body:gmatch(pattern) do found = found + 1 end
  return found
end

function response(status, headers, body)
  local rid = headers["x-request-id"] or headers["X-Request-ID"] or ""
  local c = cases[tonumber(rid:match("^bench%-(%d+)$") or "0")]
  if status ~= 200 or c == nil then
    failed = failed + 1
    return
  end
  checked = checked + 1
  local restricted = body:find('"restricted":%s*true') ~= nil
  local ok = restricted == (c.arrangements > 0)
    and body:find('"restricted":%s*[tf]') ~= nil
    and body:find('"service":%s*"' .. service:gsub("%-", "%%-") .. '"') ~= nil
    and count(body, '"handlingInstructions":%s*"') == c.arrangements
    and not body:find('"errors"', 1, true)
  if not ok then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local w, k, f = 0, 0, 0
  for _, t in ipairs(threads) do
    w = w + t:get("wrong"); k = k + t:get("checked"); f = f + t:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f " ..
      "checked=%d wrong=%d failed=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, k, w, f,
    e.connect + e.read + e.write + e.timeout))
end
