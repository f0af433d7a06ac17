-- wrk script for scripts/load.sh: GET /protected with a mix of valid, expired,
-- forged, malformed and missing tokens, and a check of every response.
--
-- Tokens come from the environment (set by load.sh): LOAD_VALID, LOAD_EXPIRED,
-- LOAD_FORGED. Each response must be one of the expected (status, body) pairs
-- below; anything else is counted as unexpected and printed (first few).

local kinds = {
  { name = "valid",     auth = "Bearer " .. os.getenv("LOAD_VALID") },
  { name = "valid",     auth = "Bearer " .. os.getenv("LOAD_VALID") },
  { name = "expired",   auth = "Bearer " .. os.getenv("LOAD_EXPIRED") },
  { name = "forged",    auth = "Bearer " .. os.getenv("LOAD_FORGED") },
  { name = "malformed", auth = "Bearer not-a-token" },
  { name = "bad-alg",   auth = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0dXNlciJ9." },
  { name = "missing",   auth = nil },
}

-- The only acceptable answers (status .. " " .. body), bodies exact.
local expected = {
  ['200 {"logged_in_as":"testuser"}\n'] = "ok",
  ['401 {"msg":"Token has expired"}\n'] = "expired",
  ['422 {"msg":"Signature verification failed"}\n'] = "forged",
  ['422 {"msg":"Not enough segments"}\n'] = "malformed",
  ['422 {"msg":"The specified alg value is not allowed"}\n'] = "bad-alg",
  ['401 {"msg":"Missing Authorization Header"}\n'] = "missing",
}

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id
  sent = {}
  seen = {}
  unexpected = 0
  samples = ""
  requests = {}
  for i, kind in ipairs(kinds) do
    local headers = {}
    if kind.auth then headers["Authorization"] = kind.auth end
    requests[i] = wrk.format("GET", "/protected", headers)
  end
end

function request()
  counter = counter + 1
  local i = (counter % #kinds) + 1
  local name = kinds[i].name
  sent[name] = (sent[name] or 0) + 1
  return requests[i]
end

function response(status, headers, body)
  local key = status .. " " .. body
  local kind = expected[key]
  if kind then
    seen[kind] = (seen[kind] or 0) + 1
  else
    unexpected = unexpected + 1
    if unexpected <= 5 then
      samples = samples .. string.format("  %d %q\n", status, body)
    end
  end
end

local function merge(into, name, thread)
  local t = thread:get(name)
  for k, v in pairs(t) do into[k] = (into[k] or 0) + v end
end

function done(summary, latency, requests)
  local sent, seen, unexpected = {}, {}, 0
  local samples = ""
  for _, thread in ipairs(threads) do
    merge(sent, "sent", thread)
    merge(seen, "seen", thread)
    unexpected = unexpected + thread:get("unexpected")
    samples = samples .. thread:get("samples")
  end
  local e = summary.errors
  io.write("--- load.lua summary\n")
  io.write(string.format("requests: %d in %.1f s (%.0f/s)\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  for _, name in ipairs({ "valid", "expired", "forged", "malformed", "bad-alg", "missing" }) do
    io.write(string.format("sent %-10s %d\n", name, sent[name] or 0))
  end
  for _, name in ipairs({ "ok", "expired", "forged", "malformed", "bad-alg", "missing" }) do
    io.write(string.format("answer %-8s %d\n", name, seen[name] or 0))
  end
  io.write(string.format("socket_errors: connect %d, read %d, write %d, timeout %d\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format("unexpected: %d\n", unexpected))
  if samples ~= "" then io.write("unexpected samples:\n" .. samples) end
end
