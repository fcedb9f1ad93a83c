-- The soak's request mix (`cargo xtask soak`): per 20 requests, 12 single iris rows, 2 churn
-- records, 2 news texts, 2 1,000-row iris batches and 2 bad bodies (not JSON; a wrong type).
-- Each thread counts its answers by status; done() prints them with wrk's socket errors.
local json = { ["Content-Type"] = "application/json" }
local f = io.open(os.getenv("SOAK_BATCH") or "bench/soak/iris-1000-rows.json", "r")
local batch = f:read("*a")
f:close()

local plan = {}
local function add(n, path, body)
  for _ = 1, n do plan[#plan + 1] = { path, body } end
end
add(12, "/models/iris/predict", '{"features": [5.1, 3.5, 1.4, 0.2]}')
add(2, "/models/churn/predict", '{"record": {"tenure": 3, "contract": "month-to-month", "monthly_charges": 70.5}}')
add(2, "/models/news/predict", '{"record": {"text": "A wonderful, moving film with a superb cast."}}')
add(2, "/models/iris/predict", batch)
add(1, "/models/iris/predict", '{"features": [5.1, 3.5')
add(1, "/models/iris/predict", '{"record": {"sepal_length": "long"}}')

local i = 0
statuses = {}

request = function()
  i = i % #plan + 1
  return wrk.format("POST", plan[i][1], json, plan[i][2])
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("SOAK status %d %d\n", status, n))
  end
  local e = summary.errors
  io.write(string.format("SOAK requests %d\n", summary.requests))
  io.write(string.format("SOAK errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("SOAK latency_ms p50=%.2f p99=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
