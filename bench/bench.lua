-- bench/bench.lua - per-call cost of small activation calls through the
-- Lua binding (run by `make bench`; needs build/lgrad/core.so on LUA_CPATH).
-- Prints the median over 15 runs of the microseconds per call, and the
-- Lua heap growth per out= call (0 means the call allocated nothing); then
-- whole ops on large tensors from Lua, in ns per element, to show the
-- binding adds nothing per element (compare the kernel table above).
local lg = require "lgrad"
local REPS, N = 15, 200000

-- The floor (bench/floor.c, built by make bench): the least any binding
-- does for a 3-element call. Each row times lgrad and the floor in turn,
-- 15 times, and gives the medians and the median of the 15 ratios.
-- LGRAD_FLOOR_DIR: where floor.so is (another architecture's build:
-- make bench-qemu), else build/.
package.cpath = (os.getenv("LGRAD_FLOOR_DIR") or "./build") .. "/?.so;" .. package.cpath
local okf, floor = pcall(require, "floor")
local x = lg.tensor({0.5, -1, 2}, "float32")
local out = lg.tensor({0, 0, 0}, "float32")
local fx, fo
if okf then fx, fo = floor.new(0.5, -1, 2), floor.new(0, 0, 0) end
local rows = {
  {"sigmoid(x)", function() return lg.sigmoid(x) end, okf and function() return floor.sigmoid(fx) end},
  {"sigmoid(x, out)", function() return lg.sigmoid(x, out) end,
   okf and function() return floor.sigmoid(fx, fo) end},
  {"softmax(x)", function() return lg.softmax(x) end, okf and function() return floor.sigmoid(fx) end},
  {"softmax(x, 1, out)", function() return lg.softmax(x, 1, out) end,
   okf and function() return floor.sigmoid(fx, fo) end},
}
local function us_per_call(f)
  local t0 = os.clock()
  for _ = 1, N do f() end
  return (os.clock() - t0) / N * 1e6
end
local function median(t) table.sort(t) return t[(#t + 1) // 2] end
print(string.format("%-20s %10s %10s %8s %14s", "Lua call, 3 elems", "us/call", "floor us", "ratio",
  "KB alloc/1e5"))
for _, r in ipairs(rows) do
  local a, b, q = {}, {}, {}
  for i = 1, REPS do
    a[i] = us_per_call(r[2])
    if r[3] then b[i] = us_per_call(r[3]); q[i] = a[i] / b[i] end
  end
  collectgarbage("collect"); collectgarbage("stop")
  local k0 = collectgarbage("count")
  for _ = 1, 100000 do r[2]() end
  local kb = collectgarbage("count") - k0
  collectgarbage("restart")
  if r[3] then
    print(string.format("%-20s %10.3f %10.3f %8.2f %14.1f", r[1], median(a), median(b), median(q), kb))
  else
    print(string.format("%-20s %10.3f %10s %8s %14.1f", r[1], median(a), "-", "-", kb))
  end
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

-- One training step of a 2-layer MLP, [256, 784] -> 128 (tanh) -> 10,
-- cross-entropy: the loss and all four gradients through lg.value_and_grad
-- against the same step with the backward written by hand (float32, the
-- optimizer update left out: it is the same for both). Interleaved rounds;
-- medians of each and of the per-round ratio (target: autograd within 1.3x).
if lg.value_and_grad then
  lg.seed(2)
  local X = lg.randn(256, 784)
  local y = {}
  for i = 1, 256 do y[i] = i % 10 + 1 end
  y = lg.tensor(y)
  local p = { W1 = lg.randn(784, 128) * 0.03, b1 = lg.zeros(128), W2 = lg.randn(128, 10) * 0.1,
    b2 = lg.zeros(10) }
  local function hand(q)
    local h = lg.tanh(lg.matmul(X, q.W1) + q.b1)
    local dz2, loss = lg.cross_entropy_grad(lg.matmul(h, q.W2) + q.b2, y)
    local dz1 = lg.tanh_backward_from_output(lg.matmul(dz2, q.W2:t()), h)
    return loss, { W1 = lg.matmul(X:t(), dz1), b1 = dz1:sum(1), W2 = lg.matmul(h:t(), dz2), b2 = dz2:sum(1) }
  end
  local auto = lg.value_and_grad(function(q)
    return lg.cross_entropy(lg.matmul(lg.tanh(lg.matmul(X, q.W1) + q.b1), q.W2) + q.b2, y)
  end)
  local la, ga = auto(p)
  local lh, gh = hand(p)
  assert(math.abs(la - lh) < 1e-6 and lg.allclose(ga.W1, gh.W1, 1e-4, 1e-6), "autograd disagrees")
  local STEPS, ROUNDS = 20, 15
  local th, ta, ratio = {}, {}, {}
  for r = 1, ROUNDS do
    local t0 = os.clock()
    for _ = 1, STEPS do hand(p) end
    th[r] = (os.clock() - t0) / STEPS * 1e3
    t0 = os.clock()
    for _ = 1, STEPS do auto(p) end
    ta[r] = (os.clock() - t0) / STEPS * 1e3
    ratio[r] = ta[r] / th[r]
  end
  local function med(t) table.sort(t) return t[(#t + 1) // 2] end
  print()
  print(string.format("%-36s %10s", "MLP step [256,784]->128->10", "ms/step"))
  print(string.format("%-36s %10.3f", "hand-written backward", med(th)))
  print(string.format("%-36s %10.3f", "lg.value_and_grad", med(ta)))
  print(string.format("%-36s %10.3f", "ratio (median of rounds)", med(ratio)))
end
