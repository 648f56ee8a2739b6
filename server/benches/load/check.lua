-- GET /api/check: the Administrator of environment 0 asks whether users of
-- environment 0 may view, edit or manage its documents (random each request).
package.path = package.path .. ";" .. os.getenv("LOAD_DIR") .. "/?.lua"
local ids = require("ids")
local cookie = os.getenv("SESSION")
local actions = { "View", "Edit", "Manage" }
math.randomseed(os.time())
request = function()
  local path = string.format("/api/check?user=%s&action=%s&resource=document:%s",
    ids.user(0, math.random(0, 9)), actions[math.random(1, 3)],
    ids.document(0, math.random(0, 24), math.random(0, 199)))
  return wrk.format("GET", path, { ["Cookie"] = "preflight_session=" .. cookie })
end
