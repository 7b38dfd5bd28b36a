-- wrk script of the storefront benchmark (bench/load.py writes its inputs).
--
-- WRK_REQUESTS names a file with one request per line: method, path, bearer token and
-- JSON body (may be empty), separated by tabs. Each thread cycles through the requests
-- from its own offset. WRK_OUT names the JSON file `done` writes the summary to. Every
-- request accepts gzip, as storefronts (browsers, CDNs, HTTP libraries) do.

local requests = {}
local counter = 0

local function load(path)
  local list = {}
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    local method, target, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {
      ["Host"] = os.getenv("WRK_HOST"),
      ["Accept"] = "application/json",
      ["Accept-Language"] = "en",
      ["Accept-Encoding"] = "gzip",
    }
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. token
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    table.insert(list, wrk.format(method, target, headers, body))
  end
  file:close()
  return list
end

local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  requests = load(os.getenv("WRK_REQUESTS"))
  counter = (thread_index or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, _)
  local out = assert(io.open(os.getenv("WRK_OUT"), "w"))
  local errors = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)
  ))
  out:close()
end
