-- wrk script of Slipway's router benchmark.
--
-- SLIPWAY_WRK_DELAY_MS=N  each connection waits N ms before each request, so
--                         -cC gives about C*1000/(N+latency) requests per second
--                         (Debian's wrk has no -R rate flag).
-- SLIPWAY_WRK_COUNT=1     count responses by status and X-Slipway-Version (costs
--                         wrk some speed: use it for the fixed-rate runs only).
--
-- done() prints one line "slipway-wrk: {json}" that the benchmark parses.

local delay_ms = tonumber(os.getenv("SLIPWAY_WRK_DELAY_MS") or "0") or 0
local count = os.getenv("SLIPWAY_WRK_COUNT") == "1"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

if count then
  codes = {}
  versions = {}
  non2xx = 0
  function response(status, headers, body)
    local c = tostring(status)
    codes[c] = (codes[c] or 0) + 1
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    end
    local v = headers["X-Slipway-Version"] or "none"
    versions[v] = (versions[v] or 0) + 1
  end
end

local function object(t)
  local parts = {}
  for k, v in pairs(t) do
    table.insert(parts, string.format("%q:%d", k, v))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function merge(into, from)
  for k, v in pairs(from or {}) do
    into[k] = (into[k] or 0) + v
  end
end

function done(summary, latency, requests)
  local all_codes, all_versions, all_non2xx = {}, {}, 0
  for _, t in ipairs(threads) do
    merge(all_codes, t:get("codes"))
    merge(all_versions, t:get("versions"))
    all_non2xx = all_non2xx + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'slipway-wrk: {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
    '"counted":%s,"non2xx":%d,"codes":%s,"versions":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    tostring(count), all_non2xx, object(all_codes), object(all_versions)))
end
