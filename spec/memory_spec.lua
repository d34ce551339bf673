-- Memory stays bounded in the loops a learner writes, with no
-- collectgarbage() call, in every collector mode the running Lua has.
-- The loops and how they run: spec/support/memloops.lua.
local lg = require "lgrad"
local M = require "spec.support.memloops"

local WINDOWS = package.config:sub(1, 1) == "\\"

-- (Wine would serve Linux's /proc to a Windows program: not Windows' memory)
local function status_kb(field)
  local f = not WINDOWS and io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("*a")   -- "*a": 5.1/5.2 need the star
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)"))
end
local have_proc = status_kb("VmHWM") ~= nil

-- Under ASan (make sanitize) the loops run in the default mode only: they
-- are there to exercise the collector paths, and take 3x as long.
local MODES = os.getenv("LGRAD_SANITIZE") and { "default" } or M.MODES

describe("memory in loops without collectgarbage()", function()
  for _, mode in ipairs(MODES) do
    for _, loop in ipairs(M.LOOPS) do
      it(("stays under 200 MB of peak growth (%s mode): %s"):format(mode, loop[1]), function()
        if not have_proc then pending("no /proc/self/status") return end
        local grew, out = M.peak_growth(mode, loop[2], loop[3])
        assert(grew, out)
        assert.is_true(grew < 200, ("grew %.0f MB"):format(grew or -1))
      end)
    end
  end

  it("runs the loops under the Lua that make asked for", function()
    if not have_proc then pending("no /proc/self/status: the loops are not run") return end
    local out = io.popen(M.LUA .. " -e 'io.write(_VERSION)'"):read("*a")
    if M.LUA:find("jit") then assert.are.equal("Lua 5.1", out)
    else assert.are.equal("Lua " .. M.LUA:match("lua(5%.%d)"), out) end
  end)
end)

describe("memory", function()
  it("frees a closed tensor's memory at once", function()
    local before = status_kb("VmRSS")
    if not before then pending("no /proc/self/status") return end
    collectgarbage("stop")
    local t = lg.ones(80e6 / 4)       -- 80 MB, touched
    local during = status_kb("VmRSS")
    t:close()
    local after = status_kb("VmRSS")
    collectgarbage("restart")
    assert.is_true(during - before > 50 * 1024, ("only %.0f MB visible"):format((during - before) / 1024))
    assert.is_true(during - after > 50 * 1024, ("only %.0f MB returned"):format((during - after) / 1024))
  end)

  it("leaves the collector stopped when the user stopped it", function()
    collectgarbage("stop")
    local ok = pcall(function()
      for i = 1, 40 do local t = lg.zeros(1e6) end
    end)
    local has, running = pcall(collectgarbage, "isrunning")
    collectgarbage("restart")
    assert.is_true(ok)
    if has then assert.is_false(running) end   -- 5.1 has no "isrunning"
  end)
end)

describe("memory on error paths", function()
  it("stays bounded when calls fail after allocating large temporaries", function()
    local before = status_kb("VmRSS")
    if not before then pending("no /proc/self/status") return end
    local peak = before
    local big = lg.zeros(1e6)
    for i = 1, 600 do
      -- each call converts/allocates first and then fails its checks
      assert(not pcall(lg.add, big, { 1, 2 }))
      assert(not pcall(lg.add, big, big, lg.zeros(3)))
      assert(not pcall(lg.matmul, lg.ones(1000, 250), lg.ones(3, 3)))
      assert(not pcall(lg.zeros(1000, 1000).max, lg.zeros(1000, 1000), 9))
      if i % 60 == 0 then peak = math.max(peak, status_kb("VmRSS")) end
    end
    assert.is_true(peak - before < 150 * 1024, ("grew %.0f MB"):format((peak - before) / 1024))
  end)
end)
