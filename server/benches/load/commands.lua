-- POST /api/commands: the Administrator of environment 0 renames one of its
-- organisations to a new name every request, so every answer is an accepted,
-- acknowledged durable write whose decision costs the same all along.
package.path = package.path .. ";" .. os.getenv("LOAD_DIR") .. "/?.lua"
local ids = require("ids")
local cookie = os.getenv("SESSION")
-- With PACE_MS set, each connection waits that long before its next request:
-- a steady rate (connections / (pace + latency)) instead of as many as the
-- server can take, to read the latency at a given throughput.
local pace = tonumber(os.getenv("PACE_MS") or "")
local counter = 0
local threads = 0
-- Each thread gets its own tag, so that no two requests use the same name.
setup = function(thread)
  threads = threads + 1
  thread:set("tag", threads)
end
request = function()
  counter = counter + 1
  local organisation = ids.uuid(3, 0, counter % 25, 0)
  local body = string.format(
    '{"command":{"type":"RenameOrganisation","organisation":"%s","name":"Renamed %s-%d"}}',
    organisation, tostring(tag), counter)
  return wrk.format("POST", "/api/commands", {
    ["Cookie"] = "preflight_session=" .. cookie,
    ["Content-Type"] = "application/json",
  }, body)
end
if pace then
  delay = function()
    return pace
  end
end
