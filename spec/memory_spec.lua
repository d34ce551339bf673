-- Large tensors made and dropped in a loop stay within bounded memory
-- without any collectgarbage() call.
local lg = require "lgrad"

local function rss_mb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("*a")   -- "*a": 5.1/5.2 need the star
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) / 1024
end

describe("memory", function()
  -- Growth, not the absolute size: earlier specs (a worker pool, big
  -- tensors) may leave the process larger before this one starts.
  it("grows less than 170 MB while 10,000 tensors of 1e6 floats come and go", function()
    local before = rss_mb()
    if not before then pending("no /proc/self/status") return end
    local peak = before
    for i = 1, 10000 do
      local t = lg.zeros(1e6)
      t[1] = i
      if i % 500 == 0 then peak = math.max(peak, rss_mb()) end
    end
    assert.is_true(peak - before < 170, ("grew %.0f MB"):format(peak - before))
  end)

  it("stays bounded for views that outlive their base", function()
    local before = rss_mb()
    if not before then pending("no /proc/self/status") return end
    local peak = before
    for i = 1, 2000 do
      local row = lg.ones(100, 10000)[i % 100 + 1]
      assert(row:numel() == 10000)
      if i % 200 == 0 then peak = math.max(peak, rss_mb()) end
    end
    assert.is_true(peak - before < 170, ("grew %.0f MB"):format(peak - before))
  end)

  it("frees a closed tensor's memory at once", function()
    local before = rss_mb()
    if not before then pending("no /proc/self/status") return end
    collectgarbage("stop")
    local t = lg.ones(80e6 / 4)       -- 80 MB, touched
    local during = rss_mb()
    t:close()
    local after = rss_mb()
    collectgarbage("restart")
    assert.is_true(during - before > 50, ("only %.0f MB visible"):format(during - before))
    assert.is_true(during - after > 50, ("only %.0f MB returned"):format(during - after))
  end)
end)

describe("memory on error paths", function()
  it("stays bounded when calls fail after allocating large temporaries", function()
    local before = rss_mb()
    if not before then pending("no /proc/self/status") return end
    local peak = before
    local big = lg.zeros(1e6)
    for i = 1, 600 do
      -- each call converts/allocates first and then fails its checks
      assert(not pcall(lg.add, big, { 1, 2 }))
      assert(not pcall(lg.add, big, big, lg.zeros(3)))
      assert(not pcall(lg.matmul, lg.ones(1000, 250), lg.ones(3, 3)))
      assert(not pcall(lg.zeros(1000, 1000).max, lg.zeros(1000, 1000), 9))
      if i % 60 == 0 then peak = math.max(peak, rss_mb()) end
    end
    assert.is_true(peak - before < 150, ("grew %.0f MB"):format(peak - before))
  end)
end)
