-- bench/bench.lua - per-call cost of small activation calls through the
-- Lua binding (run by `make bench`; needs build/lgrad/core.so on LUA_CPATH).
-- Prints the median over 15 runs of the microseconds per call, and the
-- Lua heap growth per out= call (0 means the call allocated nothing); then
-- whole ops on large tensors from Lua, in ns per element, to show the
-- binding adds nothing per element (compare the kernel table above).
local lg = require "lgrad"
local REPS, N = 15, 200000

local function median_us(f)
  local t = {}
  for r = 1, REPS do
    local t0 = os.clock()
    for _ = 1, N do f() end
    t[r] = (os.clock() - t0) / N * 1e6
  end
  table.sort(t)
  return t[(REPS + 1) // 2]
end

local x = lg.tensor({0.5, -1, 2}, "float32")
local out = lg.tensor({0, 0, 0}, "float32")
local rows = {
  {"sigmoid(x)", function() return lg.sigmoid(x) end},
  {"sigmoid(x, out)", function() return lg.sigmoid(x, out) end},
}
if lg.softmax then
  rows[#rows + 1] = {"softmax(x)", function() return lg.softmax(x) end}
end
print(string.format("%-20s %10s %14s", "Lua call, 3 elems", "us/call", "KB alloc/1e5"))
for _, r in ipairs(rows) do
  local us = median_us(r[2])
  collectgarbage("collect"); collectgarbage("stop")
  local k0 = collectgarbage("count")
  for _ = 1, 100000 do r[2]() end
  local kb = collectgarbage("count") - k0
  collectgarbage("restart")
  print(string.format("%-20s %10.3f %14.1f", r[1], us, kb))
end

-- Large tensors through the binding (median of 15 calls, ns per element).
local function median_ns(f, n)
  local t = {}
  f()
  for r = 1, REPS do
    local t0 = os.clock()
    f()
    t[r] = (os.clock() - t0) * 1e9 / n
  end
  table.sort(t)
  return t[(REPS + 1) // 2]
end
lg.seed(1)
local z = lg.randn(4096, 1000)
local zs = lg.randn(65536, 10)
local cls = {}
for i = 1, 65536 do cls[i] = i % 10 + 1 end
local tcls = lg.tensor(cls)
local big = {
  {"softmax", "[4096,1000]", function() return lg.softmax(z) end, 4096 * 1000},
  {"cross_entropy_grad", "[65536,10]", function() return lg.cross_entropy_grad(zs, tcls) end,
   65536 * 10},
}
print()
print(string.format("%-20s %-12s %10s", "Lua call, large", "shape", "ns/elem"))
for _, r in ipairs(big) do
  print(string.format("%-20s %-12s %10.3f", r[1], r[2], median_ns(r[3], r[4])))
end

-- Allocating calls in loops, collector included, in each collector mode
-- (the standalone lua5.4 starts in generational; a host's lua_newstate in
-- incremental). Median of 15 runs of 20 calls; ns per element of the result.
local x6 = lg.randn(1e6)
local loops = {
  {"sigmoid:alloc", "1e6", function() return lg.sigmoid(x6) end, 1e6},
  {"softmax:alloc", "[4096,1000]", function() return lg.softmax(z) end, 4096 * 1000},
  {"sigmoid(x)*2+x-tanh(x)", "1e6", function() return lg.sigmoid(x6) * 2 + x6 - lg.tanh(x6) end, 1e6},
}
local modes = {"default"}
if _VERSION == "Lua 5.4" then modes = {"generational", "incremental"} end
local function loop_ns(f, n)
  local t = {}
  for r = 1, REPS do
    local t0 = os.clock()
    for _ = 1, 20 do f() end
    t[r] = (os.clock() - t0) * 1e9 / (20 * n)
  end
  table.sort(t)
  return t[(REPS + 1) // 2]
end
print()
print(string.format("%-24s %-12s %s", "Lua loop, allocating", "shape",
  table.concat((function() local h = {} for i, m in ipairs(modes) do h[i] = ("%12s"):format(m) end return h end)(), " ")))
for _, r in ipairs(loops) do
  local cells = {}
  for i, m in ipairs(modes) do
    if m ~= "default" then collectgarbage(m) end
    cells[i] = ("%12.3f"):format(loop_ns(r[3], r[4]))
  end
  print(string.format("%-24s %-12s %s", r[1], r[2], table.concat(cells, " ")))
end
