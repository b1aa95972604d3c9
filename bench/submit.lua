-- wrk script: POST the body in bench/body.json, with a new audit UUID every request.
local body, token, counter, cookie, csrf = nil, nil, 0, "", ""
thread_no = 0 -- set per thread by setup(); a global so thread:set reaches it
local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  cookie = args[3] or ""
  csrf = args[4] or ""
  local file = assert(io.open(args[2], "r"))
  body = file:read("*a")
  file:close()
end

function request()
  counter = counter + 1
  local id = string.format("%s-%04x-4000-8000-%012x", token, thread_no, counter)
  local headers = {["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRF-Token"] = csrf}
  return wrk.format("POST", "/api/audits", headers, body:gsub("__ID__", id))
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
